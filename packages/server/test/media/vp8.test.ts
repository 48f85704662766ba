/**
 * VP8 key-frame detection (RFC 7741), which lets the forwarder drop a key-frame request that a
 * key frame already answered: payload descriptors with and without the extension fields.
 */
import { describe, expect, it } from 'vitest';
import { isVp8KeyFrameStart } from '../../src/media/vp8.js';

const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);

describe('isVp8KeyFrameStart', () => {
  it('reads the P bit of the frame tag after a short descriptor', () => {
    expect(isVp8KeyFrameStart(bytes(0x10, 0x00, 0x9d))).toBe(true); // S=1, PID=0, P=0: key
    expect(isVp8KeyFrameStart(bytes(0x10, 0x01, 0x9d))).toBe(false); // P=1: delta
  });

  it('is false for a packet that does not start partition 0', () => {
    expect(isVp8KeyFrameStart(bytes(0x00, 0x00))).toBe(false); // S=0: a continuation
    expect(isVp8KeyFrameStart(bytes(0x11, 0x00))).toBe(false); // partition 1
    expect(isVp8KeyFrameStart(bytes())).toBe(false);
  });

  it('skips the extended fields: 15-bit picture id, TL0PICIDX, TID/KEYIDX', () => {
    // X=1, S=1; I L T K all set; picture id M=1 (two bytes); TL0PICIDX; TID|Y|KEYIDX; frame tag.
    expect(isVp8KeyFrameStart(bytes(0x90, 0xf0, 0x80, 0x01, 0x07, 0x20, 0x00))).toBe(true);
    expect(isVp8KeyFrameStart(bytes(0x90, 0xf0, 0x80, 0x01, 0x07, 0x20, 0x01))).toBe(false);
    // 7-bit picture id only.
    expect(isVp8KeyFrameStart(bytes(0x90, 0x80, 0x05, 0x00))).toBe(true);
    expect(isVp8KeyFrameStart(bytes(0x90, 0x80, 0x05, 0x01))).toBe(false);
  });

  it('reads from an offset (a whole RTP packet)', () => {
    const rtp = new Uint8Array(14);
    rtp.set([0x10, 0x00], 12);
    expect(isVp8KeyFrameStart(rtp, 12)).toBe(true);
  });
});
