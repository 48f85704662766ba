import type { RtpPacket } from 'werift';

/**
 * The last `size` RTP packets of one producer, by sequence number, to answer NACKs. A slot is
 * overwritten by the packet `size` sequence numbers later, so the memory is bounded.
 */
export class PacketCache {
  private readonly slots: (RtpPacket | undefined)[];

  constructor(private readonly size: number) {
    this.slots = new Array<RtpPacket | undefined>(size);
  }

  /** Remembers a packet (the object is kept as is: callers must not mutate it for good). */
  put(p: RtpPacket): void {
    this.slots[p.header.sequenceNumber % this.size] = p;
  }

  /** The packet with this sequence number, if it is still cached. */
  get(seq: number): RtpPacket | undefined {
    const p = this.slots[seq % this.size];
    return p !== undefined && p.header.sequenceNumber === seq ? p : undefined;
  }

  clear(): void {
    this.slots.fill(undefined);
  }
}
