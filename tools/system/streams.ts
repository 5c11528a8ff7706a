import type { JetStreamManager, StreamInfo } from 'nats';

/** Whether a stream is of the system whose topology prefix is `prefix`: Topology names them `<PREFIX>_<CONTEXT>`. */
export function isStreamOf(prefix: string, stream: string): boolean {
  return stream.startsWith(`${prefix.toUpperCase().replace(/-/g, '_')}_`);
}

/** The streams of that system (its contexts' and its dead letters), as the server lists them now. */
export async function streamsOf(jsm: JetStreamManager, prefix: string): Promise<StreamInfo[]> {
  const found: StreamInfo[] = [];
  for await (const stream of jsm.streams.list()) if (isStreamOf(prefix, stream.config.name)) found.push(stream);
  return found;
}

/** Deletes every stream of that system, and the consumers with them. */
export async function deleteStreamsOf(jsm: JetStreamManager, prefix: string): Promise<void> {
  for (const stream of await streamsOf(jsm, prefix)) await jsm.streams.delete(stream.config.name);
}
