import { connect } from 'nats';
import { deleteStreamsOf } from '../../tools/system/streams';
import { testNatsOptions } from './databases';

/**
 * Deletes the streams of a test prefix on the suite's broker, on a connection of its own (a
 * file's shared one may be drained by then). Each test system or app has a prefix of its own, so
 * nothing else would delete them, and a broker that also serves `npm start` keeps them run after
 * run. A stream left behind must not fail a file: a failure is said, not thrown.
 */
export async function deleteTestStreams(prefix: string): Promise<void> {
  try {
    const nats = await connect(testNatsOptions('passo-tests-cleanup'));
    try {
      await deleteStreamsOf(await nats.jetstreamManager(), prefix);
    } finally {
      await nats.close();
    }
  } catch (error) {
    console.warn(`streams of ${prefix} not deleted: ${String(error)}`);
  }
}
