/** Reading Parley's `/metrics` (the Prometheus text exposition) in tests. */

/**
 * `name{labels}` → value, for every sample line of a text exposition. With a `prefix`, only the
 * samples whose name starts with it, the prefix removed (`parley_streams` → `streams`).
 */
export function parseMetrics(text: string, prefix = ''): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#') || !line.startsWith(prefix)) continue;
    const space = line.lastIndexOf(' ');
    out.set(line.slice(prefix.length, space), Number(line.slice(space + 1)));
  }
  return out;
}
