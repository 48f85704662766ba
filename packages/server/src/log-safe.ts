/**
 * A client-supplied value made safe for a one-line log: printable ASCII only (a newline would
 * forge a log line), bounded in length. Whole IDs fit: session IDs are well under the bound.
 * @example logSafe('1_abc\nfake line') // '1_abc?fake line'
 */
export function logSafe(value: string, max = 200): string {
  const s = value.replace(/[^\x20-\x7e]/g, '?');
  return s.length > max ? `${s.slice(0, max)}…` : s;
}
