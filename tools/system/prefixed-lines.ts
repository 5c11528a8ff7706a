import type { Readable } from 'node:stream';

const ANSI = { cyan: 36, green: 32, yellow: 33, magenta: 35, blue: 34, red: 31 } as const;
export type Colour = keyof typeof ANSI;
/** The colours handed out in turn to children that name none (concurrently's first four, then more). */
export const COLOURS = Object.keys(ANSI) as Colour[];

/** `[name]`, in the colour when colours are on. */
export function label(name: string, colour: Colour | undefined): string {
  return colour === undefined ? `[${name}]` : `\u001b[${ANSI[colour]}m[${name}]\u001b[0m`;
}

/**
 * Calls `write` once per line of `stream`, prefixed: a line split across chunks is joined first,
 * and a last line without a newline is written when the stream ends.
 */
export function prefixLines(stream: Readable, prefix: string, write: (line: string) => void): void {
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) write(`${prefix} ${line.replace(/\r$/, '')}`);
  });
  stream.on('end', () => {
    if (rest !== '') write(`${prefix} ${rest}`);
    rest = '';
  });
}
