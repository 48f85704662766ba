/** Joining many members, latency payloads, and what a scenario returns. */
import { pool } from './clock.js';
import { connectClient } from '../systems/clients.js';
import type { BenchClient, ClientHooks, ClientOptions, JoinSpec, SystemName } from '../systems/types.js';

export async function joinMembers(
  spec: JoinSpec | ((i: number) => JoinSpec),
  n: number,
  hooks: (i: number) => ClientHooks,
  opts: ClientOptions = {},
  concurrency = 20,
): Promise<BenchClient[]> {
  const out = new Array<BenchClient>(n);
  const idx = Array.from({ length: n }, (_, i) => i);
  await pool(idx, concurrency, async (i) => {
    out[i] = await connectClient(typeof spec === 'function' ? spec(i) : spec, hooks(i), opts);
  });
  return out;
}

export async function closeAll(clients: readonly BenchClient[], concurrency = 100): Promise<void> {
  await pool(clients, concurrency, (c) => Promise.race([c.close(), new Promise<void>((r) => setTimeout(r, 3000))]));
}

const PAD = 'x'.repeat(100);
/** A ~120-character signal payload that starts with the send time. */
export function payload(ts: number): string {
  return `${ts.toFixed(3)}|${PAD}`;
}
export function sentAt(data: string): number {
  return Number(data.slice(0, data.indexOf('|')));
}

export type Metrics = Record<string, number | string | boolean | null | object>;
export interface ScenarioResult {
  scenario: string;
  title: string;
  perSystem: Partial<Record<SystemName, Metrics>>;
  notes: string[];
}
