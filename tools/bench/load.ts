import { Agent, request as httpRequest } from 'node:http';
import { performance } from 'node:perf_hooks';

/** What the client saw of one phase's POSTs: ids in plan order (undefined: refused or not yet answered). */
export interface Placement {
  ids: (string | undefined)[];
  /** Epoch ms each POST was sent / answered (the bench and the servers share the clock). */
  sentMs: number[];
  answeredMs: number[];
  /** Refused POSTs by status code or error name ("500", "503", "TypeError"). */
  refused: Record<string, number>;
  /** The first few refusals' answers, to say why. */
  refusalSamples: string[];
  /** Fixed rate only: how late each POST left against its slot on the clock (ms). */
  lateMs: number[];
  placed: number;
  done: boolean;
}

export type Post = (body: unknown) => Promise<{ id: string } | { refused: string; detail?: string }>;

const newPlacement = (count: number): Placement => ({
  ids: new Array<string | undefined>(count),
  sentMs: new Array<number>(count),
  answeredMs: new Array<number>(count),
  refused: {},
  refusalSamples: [],
  lateMs: [],
  placed: 0,
  done: false,
});

async function placeOne(placement: Placement, post: Post, n: number, body: unknown): Promise<void> {
  placement.sentMs[n] = Date.now();
  const answer = await post(body).catch((error: Error) => ({ refused: error.name, detail: error.message }));
  placement.answeredMs[n] = Date.now();
  if ('id' in answer) {
    placement.ids[n] = answer.id;
    placement.placed++;
  } else {
    placement.refused[answer.refused] = (placement.refused[answer.refused] ?? 0) + 1;
    if (placement.refusalSamples.length < 3) placement.refusalSamples.push(`${answer.refused}: ${answer.detail ?? ''}`);
  }
}

/** Closed loop: `concurrency` POSTs in flight, each sent when one is answered. Returns at once; `done` says when. */
export function closedLoop(post: Post, bodies: readonly unknown[], concurrency: number): Placement {
  const placement = newPlacement(bodies.length);
  let next = 0;
  const worker = async () => {
    for (let n = next++; n < bodies.length; n = next++) await placeOne(placement, post, n, bodies[n]);
  };
  void Promise.all(Array.from({ length: Math.min(concurrency, bodies.length) }, worker)).then(
    () => (placement.done = true),
  );
  return placement;
}

/**
 * Open loop: POST n leaves at start + n/rate s, whether or not the earlier ones were answered
 * (a saturated system does not slow the arrivals down). How late each one left is recorded: a
 * client that falls behind its clock would hide the system's own lag.
 */
export function openLoop(post: Post, bodies: readonly unknown[], rate: number): Placement {
  const placement = newPlacement(bodies.length);
  const inFlight: Promise<void>[] = [];
  const start = performance.now();
  const due = (n: number) => start + (n * 1000) / rate;
  void (async () => {
    for (let n = 0; n < bodies.length;) {
      const now = performance.now();
      for (; n < bodies.length && due(n) <= now; n++) {
        placement.lateMs.push(now - due(n));
        inFlight.push(placeOne(placement, post, n, bodies[n]));
      }
      if (n < bodies.length) await new Promise((r) => setTimeout(r, Math.max(0, due(n) - performance.now())));
    }
    await Promise.all(inFlight);
    placement.done = true;
  })();
  return placement;
}

/**
 * POST a JSON body over kept-alive HTTP/1.1 connections; 201 with an id is placed, anything else
 * refused (by status). node:http rather than fetch: the client shares the machine with the system
 * it measures, and undici's fetch cost ~1.7 ms of CPU per POST here — 15 % of a saga's budget.
 */
export function httpPost(url: string): Post {
  const agent = new Agent({ keepAlive: true, maxSockets: 512 });
  const target = new URL(url);
  return (body) =>
    new Promise((resolve, reject) => {
      const payload = Buffer.from(JSON.stringify(body));
      const request = httpRequest(
        target,
        {
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', 'content-length': payload.length },
          timeout: 30_000,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if (response.statusCode !== 201)
              resolve({ refused: String(response.statusCode), detail: text.slice(0, 200) });
            else resolve({ id: (JSON.parse(text) as { id: string }).id });
          });
        },
      );
      request.on('timeout', () =>
        request.destroy(Object.assign(new Error('no answer in 30 s'), { name: 'TimeoutError' })),
      );
      request.on('error', reject);
      request.end(payload);
    });
}
