/**
 * The DBOS baseline as its own process (its CPU and memory are measured like the apps'): a plain
 * node:http server whose POST /orders starts the order saga workflow and answers 201 once DBOS
 * has recorded it durably, as Passo's order-service answers at PENDING.
 *   DBOS_APP_DATABASE_URL, DBOS_SYSTEM_DATABASE_URL, PORT
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { DBOS } from '@dbos-inc/dbos-sdk';
import { Pool } from 'pg';
import { registerOrderSaga, type SagaOrder } from './order-saga';

const env = (name: string) => process.env[name] ?? fail(`${name} is not set`);
const fail = (why: string): never => {
  throw new Error(why);
};

async function main(): Promise<void> {
  const pool = new Pool({ connectionString: env('DBOS_APP_DATABASE_URL') });
  pool.on('error', (error) => console.error(`app pool: ${error.message}`));
  const orderSaga = registerOrderSaga(pool);
  DBOS.setConfig({ name: 'passo-bench-dbos', systemDatabaseUrl: env('DBOS_SYSTEM_DATABASE_URL') });
  await DBOS.launch();

  const server = createServer((req, res) => {
    handle(req, res).catch((error: Error) => reply(res, 500, { message: error.message }));
  });
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method === 'GET' && req.url === '/health') return reply(res, 200, { status: 'ok' });
    if (req.method !== 'POST' || req.url !== '/orders') return reply(res, 404, { message: 'not found' });
    const body = JSON.parse(await read(req)) as Omit<SagaOrder, 'id'>;
    const order: SagaOrder = { id: randomUUID(), customerId: body.customerId, items: body.items };
    await DBOS.startWorkflow(orderSaga, { workflowID: order.id })(order);
    reply(res, 201, { id: order.id, status: 'PENDING' });
  }
  server.listen(Number(env('PORT')), '127.0.0.1');

  const stop = () => {
    server.close();
    void DBOS.shutdown()
      .then(() => pool.end())
      .finally(() => process.exit(0)); // exiting writes --cpu-prof's profile
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

function read(req: IncomingMessage): Promise<string> {
  return new Promise((done, failed) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (text += chunk));
    req.on('end', () => done(text));
    req.on('error', failed);
  });
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

main().catch((error: Error) => {
  console.error(error.stack ?? error.message);
  process.exit(1);
});
