import { joinFrame } from '@parley/protocol';

/**
 * The frame of the last batch flushed in this pass, as a Buffer. In a broadcast tick every
 * member's batch holds the same encoded messages (the same string references, in the same
 * order), so the frame is joined and UTF-8 encoded once and that Buffer is written to every
 * socket, instead of once per socket (`ws` would encode each string again). A batch that differs
 * replaces it. It is forgotten at the end of each flush pass.
 * @example ws.send(shared.frame(c.out), { binary: false });
 */
export class SharedFrame {
  #messages: string[] = [];
  #buffer: Buffer | null = null;

  frame(out: readonly string[]): Buffer {
    const last = this.#messages;
    let same = this.#buffer !== null && last.length === out.length;
    for (let i = 0; same && i < out.length; i++) same = last[i] === out[i];
    if (!same || this.#buffer === null) {
      this.#messages = out.slice();
      this.#buffer = Buffer.from(joinFrame(out), 'utf8');
    }
    return this.#buffer;
  }

  forget(): void {
    this.#messages = [];
    this.#buffer = null;
  }
}
