/**
 * Text from a message or a row, made safe for one line of a log or a terminal: control characters
 * (CR/LF, ESC sequences that would rewrite the screen, C1 codes) become spaces.
 */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ');
}
