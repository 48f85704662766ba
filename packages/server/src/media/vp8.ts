/** What the forwarders read of VP8 RTP payloads (RFC 7741): nothing is decoded. */

/**
 * True when a VP8 RTP payload starts a key frame: the payload descriptor's S bit with partition
 * 0, and the frame tag's P bit clear (RFC 7741 §4.2–4.3).
 */
export function isVp8KeyFrameStart(payload: Uint8Array, offset = 0): boolean {
  const d = payload[offset];
  if (d === undefined || (d & 0x10) === 0 || (d & 0x0f) !== 0) return false;
  let i = offset + 1;
  if ((d & 0x80) !== 0) {
    const x = payload[i++] ?? 0; // I L T K
    if ((x & 0x80) !== 0) i += ((payload[i] ?? 0) & 0x80) !== 0 ? 2 : 1; // picture id, 7 or 15 bits
    if ((x & 0x40) !== 0) i++; // TL0PICIDX
    if ((x & 0x30) !== 0) i++; // TID / KEYIDX
  }
  const tag = payload[i];
  return tag !== undefined && (tag & 0x01) === 0;
}
