/**
 * The server's logger: a pino-compatible interface (levels, `child` with bound fields), pino
 * itself as the default implementation, and an adapter for the older `log: (line) => void`
 * option.
 *
 * Every line's message is the human sentence it always was (whole session and connection IDs
 * included); the same facts ride along as fields (`sessionId`, `connectionId`, `code`, `reason`,
 * …) for machines. A connection's lines come from a child logger bound to its session and
 * connection IDs. Secrets never reach a line: nothing logs a token, a resume key or an API
 * secret, and pino's `redact` censors those field names anyway (`REDACTED_FIELDS`).
 */
import { pino } from 'pino';
import { prettyStream } from './pretty.js';

/** pino's levels, from the fewest lines to the most; 'silent' writes none. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
/** A level name. */
export type LogLevel = (typeof LOG_LEVELS)[number];
/** How `parley serve` writes its lines: one JSON object each, or one readable line each. */
export const LOG_FORMATS = ['json', 'pretty'] as const;
/** A format name. */
export type LogFormat = (typeof LOG_FORMATS)[number];

/** Fields of a log line. */
export type LogFields = Record<string, unknown>;

/** One level's method, with pino's two call forms. */
export interface LogFn {
  (fields: LogFields, message?: string): void;
  (message: string): void;
}

/**
 * What the server needs of a logger: pino's level methods and `child`. A pino instance is one;
 * so is any logger with the same shape (bunyan-style loggers need a thin wrapper).
 * @example createServer({ logger: pino({ level: 'debug' }) })
 */
export interface Logger {
  error: LogFn;
  warn: LogFn;
  info: LogFn;
  debug: LogFn;
  /** A logger whose every line also carries `bindings`. */
  child(bindings: LogFields): Logger;
  /** Whether a level is written (pino has it); without it every level is assumed on. */
  isLevelEnabled?(level: string): boolean;
}

/** Field names whose values are censored wherever they appear (top level or one level down). */
export const REDACTED_FIELDS: readonly string[] = Object.freeze([
  'token',
  'resumeKey',
  'key',
  'apiSecret',
  'secret',
  'authorization',
  'x-opentok-auth',
]);

const CENSOR = '[redacted]';

/**
 * A pino logger with Parley's redaction, writing JSON lines to `destination` (default: stdout).
 * @param level - 'silent' writes nothing (the library default: a server writes no log unless asked)
 * @example const logger = createPinoLogger('info', pino.destination({ dest: 2, sync: true }));
 */
export function createPinoLogger(level = 'info', destination?: pino.DestinationStream): Logger {
  const paths = REDACTED_FIELDS.flatMap((f) => [`["${f}"]`, `*["${f}"]`]);
  return pino({ level, base: undefined, redact: { paths, censor: CENSOR } }, destination);
}

/**
 * What `parley serve` logs with: pino on stderr, written synchronously so the last lines before
 * an exit are not lost; JSON lines, or with `format: 'pretty'` one readable line each (the same
 * redacted fields, see pretty.ts).
 */
export function createStderrLogger(level: LogLevel = 'info', format: LogFormat = 'json'): Logger {
  const stderr = pino.destination({ dest: 2, sync: true });
  return createPinoLogger(level, format === 'pretty' ? prettyStream(stderr) : stderr);
}

/**
 * A {@link Logger} over the older `log: (line) => void` option: each call becomes one line, its
 * message, exactly as the server has always written it (the message already names the session
 * and connection; fields, which are for machines, are left out, so nothing secret can leak
 * through them either).
 * @example lineLogger((line) => lines.push(line)).info({ code: 4010 }, 'resume refused') // 'resume refused'
 */
export function lineLogger(write: (line: string) => void): Logger {
  const line: LogFn = (a: LogFields | string, message?: string): void => {
    write(typeof a === 'string' ? a : (message ?? ''));
  };
  const logger: Logger = { error: line, warn: line, info: line, debug: line, child: () => logger };
  return logger;
}

/** A logger that writes nothing (no pino instance is made for it). */
export const SILENT_LOGGER: Logger = lineLogger(() => {});
