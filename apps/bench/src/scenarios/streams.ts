/**
 * Streams (issue 11), with real clients: `@parley/client` Sessions on `@roamhq/wrtc` (libwebrtc,
 * real VP8) against a Parley server in its own process with the forwarder on (werift in its
 * worker thread, the default).
 *   1. subscribe() → first decoded frame, p50/p99, in a relayed and in a routed session: one
 *      publisher (320x240 at 30 fps), one subscriber that subscribes, waits for a decoded frame
 *      (RTCVideoSink), unsubscribes, N times in a row.
 *   2. The 100 × 1 signal/s latency (the steady scenario's load, in its own load process) on the
 *      same server, first with no media, then while one routed stream is forwarded to K
 *      subscribers (in this process): is the signalling loop affected?
 * Media needs the loopback-only namespace: the scenario runs itself under `unshare -n`.
 */
import wrtc from '@roamhq/wrtc';
import { Publisher, Session, type SessionOptions, type Stream, type Subscriber } from '@parley/client';
import { generateToken, Parley } from '@parley/server-sdk';
import { now } from '../lib/clock.js';
import { at, cpuPercent, log, withLoads, withServer, type RunOptions } from '../lib/harness.js';
import { inLoopbackOnlyNamespace, runInLoopbackNamespace } from '../lib/loopback.js';
import type { Metrics, ScenarioResult } from '../lib/members.js';
import { summarize } from '../lib/stats.js';
import type { ServerInfo } from '../systems/types.js';

const webrtc = wrtc as unknown as NonNullable<SessionOptions['webrtc']>;
const WAIT_MS = 20_000;

/** Rejects after `ms` with `what` in the message. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => {
      clearTimeout(timer);
    }),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new Error(`streams bench: ${what} did not happen within ${ms} ms`));
      }, ms);
    }),
  ]);
}

/** A fake camera: a changing 320x240 I420 frame every 33 ms. */
function camera(): { track: MediaStreamTrack; stop(): void } {
  const source = new wrtc.nonstandard.RTCVideoSource();
  const data = new Uint8Array(320 * 240 * 1.5).fill(100);
  let n = 0;
  const timer = setInterval(() => {
    data[n++ % data.length] = n & 0xff;
    source.onFrame({ width: 320, height: 240, data });
  }, 33);
  const track = source.createTrack();
  return {
    track,
    stop: () => {
      clearInterval(timer);
      track.stop();
    },
  };
}

/** Counts decoded frames of a subscriber's video; resolves `first` at the first one. */
function sink(sub: Subscriber): { first: Promise<void>; frames(): number; stop(): void } {
  const track = sub.mediaStream?.getVideoTracks()[0];
  if (track === undefined) throw new Error('streams bench: the subscriber has no video track');
  const s = new wrtc.nonstandard.RTCVideoSink(track);
  let frames = 0;
  const first = new Promise<void>((resolve) => {
    s.onframe = () => {
      frames++;
      resolve();
    };
  });
  return {
    first,
    frames: () => frames,
    stop: () => {
      s.stop();
    },
  };
}

class Clients {
  private readonly sessions: Session[] = [];
  private readonly stops: (() => void)[] = [];
  private readonly sdk: Parley;

  constructor(private readonly info: ServerInfo) {
    this.sdk = new Parley(info.apiKey as string, info.apiSecret as string, { apiUrl: info.url });
  }

  session(mediaMode: 'relayed' | 'routed'): Promise<string> {
    return this.sdk.createSession({ mediaMode }).then((s) => s.sessionId);
  }

  async join(sessionId: string): Promise<Session> {
    const s = new Session(this.info.apiKey as string, sessionId, undefined, { url: this.info.url, webrtc });
    this.sessions.push(s);
    await s.connect(generateToken(this.info.apiKey as string, this.info.apiSecret as string, sessionId));
    return s;
  }

  /** A publisher in `sessionId`, and the stream as `watcher` sees it. */
  async publish(sessionId: string, watcher: Session): Promise<Stream> {
    const created = new Promise<Stream>((resolve) => {
      watcher.once('streamCreated', (e) => {
        resolve(e.stream);
      });
    });
    const cam = camera();
    this.stops.push(() => {
      cam.stop();
    });
    const alice = await this.join(sessionId);
    await alice.publish(new Publisher(undefined, { videoTrack: cam.track, publishAudio: false }));
    return within(created, WAIT_MS, 'streamCreated');
  }

  async subscribe(
    session: Session,
    stream: Stream,
  ): Promise<{ sub: Subscriber; video: ReturnType<typeof sink>; connectedAt: number }> {
    const sub = session.subscribe(stream);
    await within(new Promise((r) => sub.once('connected', r)), WAIT_MS, 'subscriber connected');
    const connectedAt = now();
    const video = sink(sub);
    this.stops.push(() => {
      video.stop();
    });
    await within(video.first, WAIT_MS, 'first decoded frame');
    return { sub, video, connectedAt };
  }

  async close(): Promise<void> {
    for (const s of this.stops.splice(0)) s();
    await Promise.all(this.sessions.splice(0).map((s) => s.disconnect().catch(() => undefined)));
  }
}

/** subscribe() → first decoded frame, `n` times in a row, in a session of `mode`. */
async function firstFrames(info: ServerInfo, mode: 'relayed' | 'routed', n: number, impl = ''): Promise<Metrics> {
  const c = new Clients(info);
  try {
    const sessionId = await c.session(mode);
    const bob = await c.join(sessionId);
    const stream = await c.publish(sessionId, bob);
    const times: number[] = [];
    const toConnected: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = now();
      const { sub, video, connectedAt } = await c.subscribe(bob, stream);
      times.push(now() - t0);
      toConnected.push(connectedAt - t0);
      video.stop();
      await bob.unsubscribe(sub);
    }
    // The split: subscribe() → `connected` (negotiation, ICE, DTLS), then → first decoded frame.
    const s = { ...summarize(times), connectedP50: summarize(toConnected).p50 };
    log(`streams: first frame ${mode}${impl && ` (${impl})`}: ${JSON.stringify(s)}`);
    return { ...s };
  } finally {
    await c.close();
  }
}

export async function runStreams(o: RunOptions): Promise<ScenarioResult> {
  if (!inLoopbackOnlyNamespace()) return runInLoopbackNamespace('streams', o);
  const n = o.quick ? 3 : 20;
  const seconds = o.quick ? 2 : 15;
  const k = o.quick ? 2 : 5;
  const r: ScenarioResult = {
    scenario: 'streams',
    title: 'streams: subscribe → first decoded frame; 100 × 1 signal/s with and without a forwarded stream',
    perSystem: {},
    notes: [
      `wrtc (libwebrtc) clients, 320x240 VP8 at 30 fps; first frame: ${n} subscriptions in a row per mode (routed: per forwarder candidate, a server each); the signal latency on a server with the default forwarder (werift).`,
      `signal latency: the steady load (100 members × 1/s, ${seconds} s) on the same server without media, then with one routed stream forwarded to ${k} subscribers.`,
    ],
  };
  // Routed first frames through each forwarder candidate (a server each); the rest on werift's.
  const routed: Record<string, Metrics> = {};
  for (const impl of o.forwarders ?? ['werift', 'datachannel'])
    if (impl !== 'werift')
      routed[impl] = await withServer('parley', (s) => firstFrames(s.info, 'routed', n, impl), {
        parley: { forwarder: true, forwarderImpl: impl },
      });
  r.perSystem.parley = await withServer(
    'parley',
    async (s) => {
      const relayed = await firstFrames(s.info, 'relayed', n);
      routed.werift = await firstFrames(s.info, 'routed', n, 'werift');
      return withLoads(1, async (ws) => {
        const w = at(ws, 0);
        const steady = async (): Promise<Record<string, number>> => {
          const [room] = await s.rooms(1);
          const before = await s.stats();
          const res = await w.call<Record<string, number>>(
            'steady.run',
            { spec: { server: s.info, room }, seconds },
            120_000,
          );
          return { ...res, serverCpuPct: cpuPercent(before, await s.stats()) };
        };
        const quiet = await steady();
        log(`streams: 100 × 1/s without media: ${JSON.stringify(quiet)}`);
        const c = new Clients(s.info);
        try {
          const sessionId = await c.session('routed');
          const watcher = await c.join(sessionId);
          const stream = await c.publish(sessionId, watcher);
          const subs = [];
          for (let i = 0; i < k; i++) subs.push(await c.subscribe(i === 0 ? watcher : await c.join(sessionId), stream));
          const frames0 = subs.map((x) => x.video.frames());
          const t0 = now();
          const loaded = await steady();
          const fps = subs.map((x, i) => ((x.video.frames() - (frames0[i] as number)) * 1000) / (now() - t0));
          const withMedia = { ...loaded, subscribers: k, minDecodedFps: Math.round(Math.min(...fps) * 10) / 10 };
          log(`streams: 100 × 1/s with a stream forwarded to ${k}: ${JSON.stringify(withMedia)}`);
          return {
            firstFrameRelayed: relayed,
            firstFrameRouted: routed,
            steadyWithoutMedia: quiet,
            steadyWithMedia: withMedia,
            p99Ratio: Math.round(((loaded.p99 as number) / (quiet.p99 as number)) * 100) / 100,
          };
        } finally {
          await c.close();
        }
      });
    },
    { parley: { forwarder: true } },
  );
  return r;
}
