/** The terminal table, the ratios and the goals of issue 5 (one node) and issue 13 (the cluster). */
import type { Metrics, ScenarioResult } from './lib/members.js';
import type { SystemName } from './systems/types.js';

type Results = Record<string, ScenarioResult | { error: string }>;

function get(results: Results, scenario: string, system: SystemName, path: string): number | null {
  const r = results[scenario];
  if (!r || 'error' in r) return null;
  let v: unknown = r.perSystem[system];
  for (const k of path.split('.')) v = (v as Metrics | undefined)?.[k];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

export interface Row {
  metric: string;
  floor: number | null;
  socketio: number | null;
  parley: number | null;
  vsWs: number | null;
  vsSio: number | null;
}

const ROWS: [string, string, string][] = [
  ['connect p50 (ms)', 'connect', 'p50'],
  ['connect p99 (ms)', 'connect', 'p99'],
  ['fan-out knee (deliveries/s)', 'fanout', 'kneeDeliveriesPerSec'],
  ['100×1/s p50 (ms)', 'steady', 'p50'],
  ['100×1/s p99 (ms)', 'steady', 'p99'],
  ['burst worst p99 (ms)', 'burst', 'worstP99'],
  ['burst median p99 (ms)', 'burst', 'medianP99'],
  ['idle held (max step reached)', 'idle', 'maxHeld'],
  ['idle RSS/conn at max (KB)', 'idle', 'rssPerConnKBAtMax'],
  ['storm: all back (ms)', 'storm', 'allBackMs'],
  ['storm: duplicate join/leave', 'storm', 'duplicateJoinLeaveObserver'],
  ['resume p50 excl. backoff (ms)', 'resume', 'excludingBackoff.p50'],
  ['resume p99 excl. backoff (ms)', 'resume', 'excludingBackoff.p99'],
  ['resume p99 from net return (ms)', 'resume', 'fromNetworkReturn.p99'],
  ['half-open, client detects p99 (ms)', 'resume', 'clientDetect.p99'],
  ['half-open, server detects p99 (ms)', 'resume', 'serverDetect.p99'],
  ['2 nodes via Redis: fan-out knee (deliveries/s)', 'cluster', 'kneeDeliveriesPerSec'],
  ['2 nodes via Redis: 100×1/s p99 (ms)', 'cluster', 'p99At100'],
  ['node death: every peer told (ms)', 'node-death', 'everyPeerToldMs'],
  ['node death: every peer told gone (ms)', 'node-death', 'everyPeerToldGoneMs'],
  ['node death: every client back (ms)', 'node-death', 'everyClientBackMs'],
];

const ratio = (p: number | null, x: number | null): number | null =>
  p !== null && x !== null && x !== 0 ? Math.round((p / x) * 100) / 100 : null;

export function rows(results: Results): Row[] {
  return ROWS.map(([metric, sc, path]) => {
    const floor = get(results, sc, 'floor', path);
    const socketio = get(results, sc, 'socketio', path);
    const parley = get(results, sc, 'parley', path);
    return { metric, floor, socketio, parley, vsWs: ratio(parley, floor), vsSio: ratio(parley, socketio) };
  });
}

export interface Goal {
  goal: string;
  value: string;
  met: boolean | null;
  gap: string;
}

export function goals(results: Results, idleTop: number, stormN: number): Goal[] {
  const g = (s: string, sys: SystemName, p: string) => get(results, s, sys, p);
  const out: Goal[] = [];
  const knee = g('fanout', 'parley', 'kneeDeliveriesPerSec');
  const kf = g('fanout', 'floor', 'kneeDeliveriesPerSec');
  const ks = g('fanout', 'socketio', 'kneeDeliveriesPerSec');
  const add = (goal: string, value: number | null, bar: number, lowerIsBetter: boolean, unit: string): void => {
    if (value === null) {
      out.push({ goal, value: '—', met: null, gap: 'not measured' });
      return;
    }
    const met = lowerIsBetter ? value <= bar : value >= bar;
    const gap = met
      ? ''
      : lowerIsBetter
        ? `${Math.round((value / bar) * 100) / 100}× the bar (+${Math.round((value - bar) * 100) / 100} ${unit})`
        : `${Math.round((value / bar) * 100)}% of the bar`;
    out.push({ goal, value: `${value} ${unit}`, met, gap });
  };
  add('fan-out knee ≥ 0.8× floor', ratio(knee, kf), 0.8, false, '× floor');
  add('fan-out knee ≥ 2× Socket.IO', ratio(knee, ks), 2, false, '× Socket.IO');
  add('100×1/s p99 ≤ 8 ms', g('steady', 'parley', 'p99'), 8, true, 'ms');
  add('connect p50 ≤ 1.5 ms', g('connect', 'parley', 'p50'), 1.5, true, 'ms');
  add('connect p99 ≤ 8 ms', g('connect', 'parley', 'p99'), 8, true, 'ms');
  add(
    `idle held ≥ 18,000 (this run's top step: ${idleTop})`,
    g('idle', 'parley', 'maxHeld'),
    18000,
    false,
    'connections',
  );
  add('idle RSS ≤ 8 KB per connection', g('idle', 'parley', 'rssPerConnKBAtMax'), 8, true, 'KB');
  add(`storm: 10,000 back ≤ 10 s (this run: ${stormN})`, g('storm', 'parley', 'allBackMs'), 10000, true, 'ms');
  const dupO = g('storm', 'parley', 'duplicateJoinLeaveObserver');
  const dupM = g('storm', 'parley', 'duplicateJoinLeaveMembers');
  add('storm: 0 duplicate join/leave', dupO === null || dupM === null ? null : dupO + dupM, 0, true, 'events');
  add('resume p99 ≤ 200 ms', g('resume', 'parley', 'excludingBackoff.p99'), 200, true, 'ms');
  const ck = g('cluster', 'parley', 'kneeDeliveriesPerSec');
  add('cluster: two-node knee ≥ 1.5× one-node knee', ratio(ck, knee), 1.5, false, '× one node');
  add(
    'cluster: two-node knee ≥ 3× Socket.IO + Redis',
    ratio(ck, g('cluster', 'socketio', 'kneeDeliveriesPerSec')),
    3,
    false,
    '× Socket.IO',
  );
  add('cluster: 100×1/s across nodes p99 ≤ 15 ms', g('cluster', 'parley', 'p99At100'), 15, true, 'ms');
  return out;
}

const fmt = (x: number | null): string =>
  x === null ? '—' : Math.abs(x) >= 1000 ? Math.round(x).toLocaleString('en-US') : String(x);

export function table(rs: Row[]): string {
  const head = ['metric', 'ws floor', 'Socket.IO', 'Parley', 'Parley/ws', 'Parley/Socket.IO'];
  const body = rs.map((r) => [r.metric, fmt(r.floor), fmt(r.socketio), fmt(r.parley), fmt(r.vsWs), fmt(r.vsSio)]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] as string).length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(w[i] as number) : c.padStart(w[i] as number))).join(' | ')} |`;
  return [
    line(head),
    `|${w.map((x, i) => (i === 0 ? '-'.repeat(x + 2) : '-'.repeat(x + 1) + ':')).join('|')}|`,
    ...body.map(line),
  ].join('\n');
}

export function goalTable(gs: Goal[]): string {
  return [
    '| goal (issue 5; cluster: issue 13) | Parley | met |',
    '|---|---:|---|',
    ...gs.map(
      (g) => `| ${g.goal} | ${g.value} | ${g.met === null ? 'not measured' : g.met ? 'met' : `missed: ${g.gap}`} |`,
    ),
  ].join('\n');
}
