/**
 * What the Node media tests (`@roamhq/wrtc`) share: a fake camera that pushes VP8-encodable
 * frames like a real one, a counter of a remote video track's decoded frames that waits for
 * "n more" with a deadline (never a sleep), clients joining a session, and a server's metrics.
 */
import wrtc from '@roamhq/wrtc';
import { afterEach } from 'vitest';
import { Session, type SessionOptions, type Subscriber } from '@parley/client';
import { generateToken, Parley } from '@parley/server-sdk';
import { parseMetrics, waitFor, type EventSource } from '@parley/testkit';

/** `@roamhq/wrtc` as the client's injected WebRTC. */
export const webrtc = wrtc as unknown as NonNullable<SessionOptions['webrtc']>;

/** A fake camera: a VP8-encodable I420 frame pushed every 33 ms until stopped. */
export function camera(): { track: MediaStreamTrack; stop(): void } {
  const source = new wrtc.nonstandard.RTCVideoSource();
  const width = 320;
  const height = 240;
  const data = new Uint8Array(width * height * 1.5).fill(128);
  let n = 0;
  const timer = setInterval(() => {
    data[n++ % data.length] = n & 0xff; // change something, so the encoder has work
    source.onFrame({ width, height, data });
  }, 33);
  const track = source.createTrack();
  return {
    track,
    stop() {
      clearInterval(timer);
      track.stop();
    },
  };
}

/** The decoded frames of a remote video track. */
export interface FrameCounter {
  readonly count: number;
  /** Resolves once `n` more frames than now were decoded; rejects after `ms`. */
  atLeast(n: number, ms: number): Promise<void>;
  stop(): void;
}

/** Counts the decoded frames of a remote video track. */
export function frames(track: MediaStreamTrack): FrameCounter {
  const sink = new wrtc.nonstandard.RTCVideoSink(track);
  let count = 0;
  const waiters = new Set<() => void>();
  sink.onframe = () => {
    count++;
    for (const w of [...waiters]) w();
  };
  return {
    get count() {
      return count;
    },
    atLeast(n, ms) {
      const target = count + n;
      return waitFor(
        (resolve) => {
          const check = (): void => {
            if (count >= target) resolve();
          };
          waiters.add(check);
          check();
          return () => waiters.delete(check);
        },
        ms,
        () => `${n} more decoded frames (have ${count}, want ${target})`,
      );
    },
    stop() {
      sink.stop();
    },
  };
}

/** A test's clean-ups (servers, clients, cameras, sinks). */
export type Cleanups = (() => unknown)[];

/** A list of clean-ups that runs, last first, after each test of the calling file. */
export function cleanupsAfterEach(): Cleanups {
  const cleanups: Cleanups = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  return cleanups;
}

/** A fake camera's track, stopped after the test. */
export function cameraTrack(cleanups: Cleanups): MediaStreamTrack {
  const cam = camera();
  cleanups.push(() => {
    cam.stop();
  });
  return cam.track;
}

/** Resolves after `n` decoded frames of a subscriber's video (counted from now). */
export function decoded(subscriber: Subscriber, n: number, cleanups: Cleanups, ms = 20_000): Promise<void> {
  const track = subscriber.mediaStream?.getVideoTracks()[0];
  if (track === undefined) throw new Error('no video track');
  const counter = frames(track);
  cleanups.push(() => {
    counter.stop();
  });
  return counter.atLeast(n, ms);
}

/** A subscriber as a testkit event source (its `connected`, `destroyed` …). */
export const subscriberEvents = (x: Subscriber): EventSource => x as unknown as EventSource;

/** A project's credentials. */
export interface Project {
  readonly apiKey: string;
  readonly apiSecret: string;
}

/** Creates a session on `apiUrl`; returns a function that connects a new client to it on a server of choice. */
export async function sessionOf(
  project: Project,
  apiUrl: string,
  mediaMode: 'relayed' | 'routed',
  cleanups: Cleanups,
): Promise<(url?: string) => Promise<Session>> {
  const { apiKey, apiSecret } = project;
  const { sessionId } = await new Parley(apiKey, apiSecret, { apiUrl }).createSession({ mediaMode });
  return async (url = apiUrl) => {
    const session = new Session(apiKey, sessionId, undefined, { url, webrtc });
    cleanups.push(() => {
      void session.disconnect();
    });
    await session.connect(generateToken(apiKey, apiSecret, sessionId));
    return session;
  };
}

/** A server's `/metrics` as name (without `parley_`, with labels) → value. */
export async function metricsOf(server: { metrics(): Promise<string> }): Promise<Map<string, number>> {
  return parseMetrics(await server.metrics(), 'parley_');
}
