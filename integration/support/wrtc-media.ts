/**
 * What the Node media tests (`@roamhq/wrtc`) share: a fake camera that pushes VP8-encodable
 * frames like a real one, and a counter of a remote video track's decoded frames that waits for
 * "n more" with a deadline (never a sleep).
 */
import wrtc from '@roamhq/wrtc';
import type { SessionOptions } from '@parley/client';
import { waitFor } from '@parley/testkit';

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
