/** `npm run build`: compiles the four apps into dist/ (what `nest build <app>` does, for all). */
import { buildApps } from '../tools/system/apps';

buildApps(console.log).catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
