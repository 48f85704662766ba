/**
 * RTP/RTCP byte helpers of the datachannel forwarder: libdatachannel hands every packet of a
 * track to JavaScript as one Buffer (RTP and RTCP alike) and sends what it is given.
 */

/** RTCP packet types (RFC 3550 / 4585). */
const RTPFB = 205; // transport-layer feedback: FMT 1 = generic NACK
const PSFB = 206; // payload-specific feedback: FMT 1 = PLI, FMT 4 = FIR

/** True when the packet is RTCP (payload type byte 192–223 with the marker bit folded in, RFC 5761). */
export function isRtcp(p: Buffer): boolean {
  const pt = p[1] as number;
  return p.length >= 8 && pt >= 192 && pt <= 223;
}

/** Where an RTP packet's payload starts (after the CSRCs and the header extension). */
export function rtpPayloadOffset(p: Buffer): number {
  const b0 = p[0] as number;
  let off = 12 + 4 * (b0 & 0x0f);
  if ((b0 & 0x10) !== 0 && p.length >= off + 4) off += 4 + 4 * p.readUInt16BE(off + 2);
  return off;
}

/** Bytes of an RTP packet's payload (after the CSRCs and the header extension; without padding). */
export function rtpPayloadBytes(p: Buffer): number {
  if (p.length < 12) return 0;
  const b0 = p[0] as number;
  const off = rtpPayloadOffset(p);
  const pad = (b0 & 0x20) !== 0 ? (p[p.length - 1] as number) : 0;
  return Math.max(0, p.length - off - pad);
}

/** What a subscriber's compound RTCP packet asks of the forwarder. */
export interface Feedback {
  /** A PLI or FIR: it needs a key frame. */
  keyFrame: boolean;
  /** Generic NACK packets in it. */
  nacks: number;
}

/** Walks a compound RTCP packet for key-frame requests and NACKs. */
export function readFeedback(p: Buffer): Feedback {
  const fb: Feedback = { keyFrame: false, nacks: 0 };
  let off = 0;
  while (off + 4 <= p.length) {
    const fmt = (p[off] as number) & 0x1f;
    const pt = p[off + 1] as number;
    const len = (p.readUInt16BE(off + 2) + 1) * 4;
    if (pt === PSFB && (fmt === 1 || fmt === 4)) fb.keyFrame = true;
    else if (pt === RTPFB && fmt === 1) fb.nacks++;
    off += len;
  }
  return fb;
}

/** A PLI (RFC 4585 §6.3.1) for the media SSRC `mediaSsrc`. */
export function pli(senderSsrc: number, mediaSsrc: number): Buffer {
  const b = Buffer.alloc(12);
  b[0] = 0x81; // V=2, FMT=1
  b[1] = PSFB;
  b.writeUInt16BE(2, 2); // length in 32-bit words minus one
  b.writeUInt32BE(senderSsrc >>> 0, 4);
  b.writeUInt32BE(mediaSsrc >>> 0, 8);
  return b;
}
