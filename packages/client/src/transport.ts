/**
 * One WebSocket: opening, framing, and batching. Messages sent in one tick go out in one frame
 * (split to respect MAX_MESSAGES_PER_FRAME and the byte limit). After {@link Transport.close}
 * (or the socket's own close) no callback fires again, so a dead socket cannot reach the session.
 */
import {
  CloseCode,
  decodeServerFrame,
  encodeMessage,
  joinFrame,
  MAX_CLIENT_FRAME_BYTES,
  MAX_MESSAGES_PER_FRAME,
  ProtocolError,
  type ClientMessage,
  type ServerMessage,
} from '@parley/protocol';
import { WS_OPEN, type WebSocketConstructor, type WebSocketLike } from './websocket.js';

/** What a transport reports. @internal */
export interface TransportHandlers {
  /** One frame's messages, decoded, in order. */
  readonly messages: (messages: ServerMessage[]) => void;
  /** The socket closed, failed to open, or broke the protocol. Called at most once. */
  readonly closed: (code: number, reason: string, cause?: unknown) => void;
}

function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) bytes += text.charCodeAt(i) > 0x7ff ? 2 : 1;
  return bytes;
}

/** @internal */
export class Transport {
  private socket: WebSocketLike | null = null;
  private queue: string[] = [];
  private flushScheduled = false;
  private done = false;
  /** What the socket's last 'error' event carried, when the platform says (Node's `ws`). */
  private error: Error | undefined = undefined;

  constructor(
    url: string,
    Ctor: WebSocketConstructor,
    private readonly handlers: TransportHandlers,
    private readonly maxFrameBytes = MAX_CLIENT_FRAME_BYTES,
  ) {
    let socket: WebSocketLike;
    try {
      socket = new Ctor(url);
    } catch (cause) {
      queueMicrotask(() => {
        this.finish(CloseCode.AbnormalClosure, 'could not create the WebSocket', cause);
      });
      return;
    }
    this.socket = socket;
    socket.onmessage = (event) => {
      this.onFrame(event.data);
    };
    socket.onclose = (event) => {
      this.finish(event.code, event.reason, this.error);
    };
    // The close event that follows an error carries the code. In Node, `ws` also hands over the
    // underlying error (ECONNREFUSED, ENOTFOUND, a TLS failure): kept as the close's cause so a
    // failed connect can say why. A browser's error event carries nothing.
    socket.onerror = (event) => {
      const error = (event as { error?: unknown } | null)?.error;
      if (error instanceof Error) this.error = error;
    };
  }

  /** Queue a message; everything queued in this tick leaves in one frame. */
  send(message: ClientMessage): void {
    if (this.done) return;
    this.queue.push(encodeMessage(message));
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(() => {
        this.flush();
      });
    }
  }

  /** Close the socket and report nothing more. */
  close(code: number, reason: string): void {
    if (this.done) return;
    this.flush();
    this.done = true;
    this.detach(code, reason);
  }

  private flush(): void {
    this.flushScheduled = false;
    const queue = this.queue;
    this.queue = [];
    const socket = this.socket;
    if (this.done || socket === null || socket.readyState !== WS_OPEN || queue.length === 0) return;
    let frame: string[] = [];
    let bytes = 0;
    for (const encoded of queue) {
      const size = utf8Length(encoded) + 1;
      if (frame.length > 0 && (frame.length >= MAX_MESSAGES_PER_FRAME || bytes + size > this.maxFrameBytes)) {
        socket.send(joinFrame(frame));
        frame = [];
        bytes = 0;
      }
      frame.push(encoded);
      bytes += size;
    }
    if (frame.length > 0) socket.send(joinFrame(frame));
  }

  private onFrame(data: unknown): void {
    if (this.done) return;
    if (typeof data !== 'string') {
      this.protocolError(new ProtocolError('binary frames are not part of the protocol'));
      return;
    }
    let messages: ServerMessage[];
    try {
      messages = decodeServerFrame(data);
    } catch (error) {
      this.protocolError(error instanceof ProtocolError ? error : new ProtocolError(String(error)));
      return;
    }
    this.handlers.messages(messages);
  }

  private protocolError(error: ProtocolError): void {
    this.close(error.closeCode, error.message.slice(0, 120));
    this.handlers.closed(error.closeCode, `the server broke the protocol: ${error.message}`, error);
  }

  private finish(code: number, reason: string, cause?: unknown): void {
    if (this.done) return;
    this.done = true;
    this.detach();
    this.handlers.closed(code, reason, cause);
  }

  private detach(code?: number, reason?: string): void {
    const socket = this.socket;
    this.socket = null;
    this.queue = [];
    if (socket === null) return;
    socket.onopen = socket.onmessage = socket.onclose = null;
    socket.onerror = () => undefined; // a late 'error' must not become an unhandled one (ws)
    if (code !== undefined) {
      try {
        socket.close(code, reason);
      } catch {
        // closing a socket that never opened can throw in some implementations; it is gone either way
      }
    }
  }
}
