/**
 * One-off measurement (not part of `npm run bench` yet): relayed `subscribe()` to the first decoded
 * frame between two `@roamhq/wrtc` clients of one local server, N sequential subscriptions to one
 * 320x240 VP8 stream. Media needs the loopback-only namespace; run after `npm run build`:
 *
 *   unshare -n sh -c 'ip link set lo up && node scripts/first-frame.mjs 30'
 */
import wrtc from '@roamhq/wrtc';
import { createServer } from '@parley/server';
import { Session, Publisher } from '@parley/client';
import { Parley } from '@parley/server-sdk';
const N = Number(process.argv[2] ?? 20);
const server = await createServer({ port: 0, dataDir: ':memory:', projects: [{ apiKey: '1', apiSecret: 's' }] });
const parley = new Parley('1', 's', { apiUrl: server.url });
const { sessionId } = await parley.createSession({ mediaMode: 'relayed' });
const mk = async () => {
  const s = new Session('1', sessionId, undefined, { url: server.url, webrtc: wrtc });
  await s.connect(parley.generateToken(sessionId));
  return s;
};
const alice = await mk();
const bob = await mk();
const src = new wrtc.nonstandard.RTCVideoSource();
const data = new Uint8Array(320 * 240 * 1.5).fill(100);
let n = 0;
const timer = setInterval(() => {
  data[n++ % data.length] = n & 255;
  src.onFrame({ width: 320, height: 240, data });
}, 33);
const created = new Promise((r) => bob.once('streamCreated', (e) => r(e.stream)));
await alice.publish(new Publisher(undefined, { videoTrack: src.createTrack(), publishAudio: false }));
const stream = await created;
const times = [];
for (let i = 0; i < N; i++) {
  const t0 = performance.now();
  const sub = bob.subscribe(stream);
  await new Promise((r) => sub.once('connected', r));
  const track = sub.mediaStream.getVideoTracks()[0];
  const sink = new wrtc.nonstandard.RTCVideoSink(track);
  await new Promise((r) => {
    sink.onframe = () => r();
  });
  times.push(performance.now() - t0);
  sink.stop();
  await bob.unsubscribe(sub);
}
times.sort((a, b) => a - b);
const q = (p) => times[Math.min(times.length - 1, Math.floor(p * times.length))].toFixed(0);
console.log(
  `relayed subscribe() -> first decoded frame, wrtc, 320x240 VP8, N=${N}: p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${times[times.length - 1].toFixed(0)} ms`,
);
clearInterval(timer);
await bob.disconnect();
await alice.disconnect();
await server.close();
process.exit(0);
