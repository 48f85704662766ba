/**
 * Top self-time functions of a V8 .cpuprofile (what `npm run bench -- --only=fanout
 * --systems=parley --profile` writes under bench-results/profiles/).
 * Usage: node apps/bench/dist/profile-summary.js FILE.cpuprofile [top=25]
 */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const file = process.argv[2];
if (!file) {
  console.error('usage: profile-summary FILE.cpuprofile [top]');
  process.exit(2);
}
const top = Number(process.argv[3] ?? 25);
const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const self = new Map<string, number>();
let total = 0;
p.samples.forEach((id, i) => {
  const dt = p.timeDeltas[i] ?? 0;
  const n = byId.get(id);
  if (!n) return;
  const f = n.callFrame;
  const where = f.url ? `${f.url.replace(/^.*\/(node_modules|packages|apps)\//, '$1/')}:${f.lineNumber + 1}` : '';
  const key = `${f.functionName || '(anonymous)'} ${where}`.trim();
  self.set(key, (self.get(key) ?? 0) + dt);
  total += dt;
});
const idle = ['(idle)', '(program)', '(garbage collector)'];
const busy = [...self.entries()].filter(([k]) => k !== '(idle)').reduce((s, [, v]) => s + v, 0);
console.log(`profile ${file}: ${(total / 1e6).toFixed(2)} s sampled, ${(busy / 1e6).toFixed(2)} s not idle`);
console.log('self ms  | % of busy | function');
for (const [k, v] of [...self.entries()]
  .filter(([k]) => !idle.includes(k) || k !== '(idle)')
  .sort((a, b) => b[1] - a[1])
  .slice(0, top)) {
  console.log(`${(v / 1000).toFixed(1).padStart(8)} | ${((v / busy) * 100).toFixed(1).padStart(8)}% | ${k}`);
}
