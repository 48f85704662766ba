/**
 * `--log-format pretty`: pino's JSON lines turned into one readable line each, for a terminal:
 *
 *     07:05:02.123 INFO  connection 3f… joined session 1_MX… as moderator  role=moderator
 *
 * The time (UTC), the level, the message, then the fields the message does not already say
 * (a field whose value appears in the message verbatim, such as the session ID, is left out).
 * It formats what pino wrote, after pino's redaction, so a secret cannot reach it either. An
 * error's stack follows on indented lines.
 */

/** Where formatted lines go (pino's sync destination, or anything with `write`). */
export interface LineSink {
  write(text: string): unknown;
}

const LEVELS: Readonly<Record<number, string>> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO ',
  40: 'WARN ',
  50: 'ERROR',
  60: 'FATAL',
};

function time(ms: unknown): string {
  return typeof ms === 'number' ? new Date(ms).toISOString().slice(11, 23) : '--:--:--.---';
}

function value(v: unknown): string {
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  return JSON.stringify(v);
}

/**
 * One JSON line of pino's as one readable line (and a stack, if any).
 * @example prettyLine('{"level":30,"time":0,"msg":"hi","n":1}') // '00:00:00.000 INFO  hi  n=1\n'
 */
export function prettyLine(json: string): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
  const { level, time: t, msg, err, ...fields } = o;
  const message = typeof msg === 'string' ? msg : '';
  let stack = '';
  if (typeof err === 'object' && err !== null) {
    const e = err as { message?: unknown; stack?: unknown };
    if (typeof e.stack === 'string') stack = `\n    ${e.stack.split('\n').join('\n    ')}`;
    else if (typeof e.message === 'string') fields.err = e.message;
  } else if (err !== undefined) fields.err = err;
  const extra = Object.entries(fields)
    .filter(([, v]) => !(typeof v === 'string' && v !== '' && message.includes(v)))
    .map(([k, v]) => `${k}=${value(v)}`)
    .join(' ');
  const name = typeof level === 'number' ? (LEVELS[level] ?? String(level)) : 'INFO ';
  return `${time(t)} ${name} ${message}${extra === '' ? '' : `  ${extra}`}${stack}\n`;
}

/** A pino destination that writes {@link prettyLine}s to `sink`. */
export function prettyStream(sink: LineSink): { write(chunk: string): void } {
  return {
    write(chunk: string): void {
      let out = '';
      for (const line of chunk.split('\n')) if (line !== '') out += prettyLine(line);
      sink.write(out);
    },
  };
}
