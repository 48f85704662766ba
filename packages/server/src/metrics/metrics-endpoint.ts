/**
 * `/metrics`: one prom-client `Registry` per server (never the global one: several servers may
 * run in one process), the default process collectors (event-loop lag, memory, CPU, file
 * descriptors) and every {@link MetricFamily} offered, all prefixed `parley_`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { sendError } from '../http/json.js';
import type { MetricFamily } from './metric-family.js';

/** The prefix of every metric name. */
export const METRIC_PREFIX = 'parley_';

/** The path Prometheus scrapes. */
export const METRICS_PATH = '/metrics';

function register(registry: Registry, family: MetricFamily): void {
  const labelNames = [...(family.labelNames ?? [])];
  const name = METRIC_PREFIX + family.name;
  if (family.type === 'gauge') {
    new Gauge({
      name,
      help: family.help,
      labelNames,
      registers: [registry],
      async collect() {
        const v = await family.read();
        if (typeof v === 'number') this.set(v);
        else for (const { labels, value } of v) this.set(labels, value);
      },
    });
    return;
  }
  new Counter({
    name,
    help: family.help,
    labelNames,
    registers: [registry],
    async collect() {
      const v = await family.read();
      this.reset();
      if (typeof v === 'number') this.inc(v);
      else for (const { labels, value } of v) this.inc(labels, value);
    },
  });
}

/** Whether `req` carries `Authorization: Bearer <token>` (compared in constant time). */
function authorized(req: IncomingMessage, token: string): boolean {
  const header = req.headers.authorization ?? '';
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (match?.[1] === undefined) return false;
  const given = Buffer.from(match[1]);
  const wanted = Buffer.from(token);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

/**
 * @example
 * const metrics = new ServerMetrics(counters.families(endpoint), undefined);
 * routes.push({ name: 'metrics', matches: (m, p) => p === METRICS_PATH, handle: metrics.handle });
 */
export class ServerMetrics {
  readonly registry = new Registry();

  constructor(
    families: readonly MetricFamily[],
    private readonly token: string | undefined,
  ) {
    collectDefaultMetrics({ register: this.registry, prefix: METRIC_PREFIX });
    for (const f of families) register(this.registry, f);
  }

  /** The text exposition of every metric now. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  /** The route handler: 401 without the token (when one is set), else the metrics. */
  readonly handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (this.token !== undefined && !authorized(req, this.token)) {
      sendError(res, 401, 'metrics need Authorization: Bearer <token>', { 'WWW-Authenticate': 'Bearer' });
      return;
    }
    const body = await this.text();
    if (res.headersSent || res.writableEnded) return;
    res.writeHead(200, {
      'Content-Type': this.registry.contentType,
      'Content-Length': String(Buffer.byteLength(body)),
    });
    res.end(body);
  };
}
