/**
 * A lean raw-WebSocket client speaking the Parley protocol (PROTOCOL.md): join with a token,
 * count sequenced messages, ack every 64, `ping {a}` every heartbeatInterval from `welcome`.
 * Used where thousands of idle members are needed per load process. No resume, no request
 * tracking: it never sends signals.
 */
import WebSocket from 'ws';
import { ACK_EVERY_MESSAGES, handshakeQuery, isSequenced, WS_PATH, type ServerMessage } from '@parley/protocol';
import type { BenchClient, ClientHooks, JoinSpec, PresenceKind } from './types.js';
import { mintToken } from './parley-client.js';

const PRESENCE: Record<string, PresenceKind> = {
  connectionCreated: 'created',
  connectionDestroyed: 'destroyed',
  connectionReconnecting: 'reconnecting',
  connectionReconnected: 'reconnected',
};

export interface LeanClient extends BenchClient {
  /** Go silent with TCP up: no more pings, no more reads (a half-open peer, as the server sees it). */
  silence(): void;
}

export function connectLean(spec: JoinSpec, hooks: ClientHooks): Promise<LeanClient> {
  const q = handshakeQuery({
    kind: 'join',
    apiKey: spec.server.apiKey as string,
    sessionId: spec.room,
    token: mintToken(spec),
  });
  const ws = new WebSocket(`ws://127.0.0.1:${spec.server.port}${WS_PATH}?${q}`, { perMessageDeflate: false });
  let received = 0;
  let acked = 0;
  let id = '';
  let timer: NodeJS.Timeout | undefined;
  return new Promise<LeanClient>((resolve, reject) => {
    ws.on('message', (raw) => {
      for (const part of (raw as Buffer).toString().split('\n')) {
        const m = JSON.parse(part) as {
          t: string;
          connection?: { connectionId: string };
          connectionId?: string;
          heartbeatInterval?: number;
          data?: string;
        };
        if (m.t === 'welcome') {
          id = m.connection?.connectionId ?? '';
          timer = setInterval(() => {
            acked = received;
            ws.send(JSON.stringify({ t: 'ping', a: received }));
          }, m.heartbeatInterval ?? 2500);
          resolve(client);
          continue;
        }
        if (!isSequenced(m as ServerMessage)) continue;
        received++;
        const kind = PRESENCE[m.t];
        if (kind) hooks.presence?.(kind, m.connection?.connectionId ?? m.connectionId ?? '');
        else if (m.t === 'signal') hooks.data?.(m.data ?? '');
      }
      if (received - acked >= ACK_EVERY_MESSAGES) {
        acked = received;
        ws.send(JSON.stringify({ t: 'ack', a: received }));
      }
    });
    ws.on('error', (e) => {
      reject(e);
    });
    ws.on('close', (code, reason) => {
      clearInterval(timer);
      if (!id) reject(new Error(`closed ${code} ${String(reason)}`));
    });
    const client: LeanClient = {
      get id() {
        return id;
      },
      send: () => {
        throw new Error('lean client does not send');
      },
      close: () =>
        new Promise<void>((r) => {
          clearInterval(timer);
          if (ws.readyState === 3) {
            r();
            return;
          }
          ws.once('close', () => {
            r();
          });
          ws.send(JSON.stringify({ t: 'bye' }));
          setTimeout(() => {
            ws.terminate();
          }, 2000).unref();
        }),
      silence: () => {
        clearInterval(timer);
        (ws as unknown as { _socket?: { pause(): void } })._socket?.pause();
      },
    };
  });
}
