/**
 * The little SDP reading the datachannel forwarder needs: per offered m-line, its kind, `mid`
 * and the payload type the offerer gave VP8 or Opus. libdatachannel answers from the tracks
 * added before the offer is set, so the forwarder builds those tracks from this.
 */
import type { MediaKind } from '../types.js';

/** One audio or video m-line of an offer. */
export interface OfferedMedia {
  readonly kind: MediaKind;
  readonly mid: string;
  /** The offerer's payload type for VP8 (video) or Opus (audio); undefined when not offered. */
  readonly payloadType: number | undefined;
  /** `a=sendonly` / `a=recvonly` / `a=sendrecv` / `a=inactive` (sendrecv when absent). */
  readonly direction: 'sendonly' | 'recvonly' | 'sendrecv' | 'inactive';
}

const CODEC: Record<MediaKind, RegExp> = {
  video: /^a=rtpmap:(\d+) VP8\/90000/i,
  audio: /^a=rtpmap:(\d+) opus\/48000/i,
};

/** The audio and video m-lines of an SDP offer, in order (others are skipped). */
export function offeredMedia(sdp: string): OfferedMedia[] {
  const out: OfferedMedia[] = [];
  const sections = sdp.split(/\r?\nm=/).slice(1);
  for (const s of sections) {
    const kind = s.startsWith('video ') ? 'video' : s.startsWith('audio ') ? 'audio' : undefined;
    if (kind === undefined) continue;
    let mid: string | undefined;
    let payloadType: number | undefined;
    let direction: OfferedMedia['direction'] = 'sendrecv';
    for (const line of s.split(/\r?\n/)) {
      if (line.startsWith('a=mid:')) mid = line.slice(6).trim();
      else if (line === 'a=sendonly' || line === 'a=recvonly' || line === 'a=sendrecv' || line === 'a=inactive')
        direction = line.slice(2) as OfferedMedia['direction'];
      else if (payloadType === undefined) {
        const m = CODEC[kind].exec(line);
        if (m !== null) payloadType = Number(m[1]);
      }
    }
    if (mid !== undefined && mid !== '') out.push({ kind, mid, payloadType, direction });
  }
  return out;
}
