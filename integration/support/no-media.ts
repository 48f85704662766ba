/**
 * A WebRTC implementation for tests that carry no media (signalling of streams only): it never
 * opens a peer connection (no subscriber ever starts one), so it loads no native WebRTC (which
 * must run in the network namespace). A publisher's tracks are device stand-ins whose only job is
 * to be enabled or disabled; the *.media.test.ts files send real ones.
 */
import type { Session } from '@parley/client';

let devices = 0;
/** A capture device's track, as far as signalling sees it: a kind, an ID, `enabled`, `stop()`. */
export function device(kind: 'audio' | 'video'): MediaStreamTrack {
  return { kind, id: `device-${++devices}`, enabled: true, stop: () => undefined } as unknown as MediaStreamTrack;
}

/** `SessionOptions.webrtc` without media: `getUserMedia` gives device stand-ins. */
export const noMediaWebrtc = {
  RTCPeerConnection: function noMedia(): never {
    throw new Error('this test carries no media: use a *.media.test.ts file');
  },
  getUserMedia: (c: MediaStreamConstraints) => {
    const tracks = [...(c.audio === true ? [device('audio')] : []), ...(c.video === true ? [device('video')] : [])];
    return Promise.resolve({
      getAudioTracks: () => tracks.filter((t) => t.kind === 'audio'),
      getVideoTracks: () => tracks.filter((t) => t.kind === 'video'),
    } as unknown as MediaStream);
  },
} as unknown as NonNullable<ConstructorParameters<typeof Session>[3]>['webrtc'];
