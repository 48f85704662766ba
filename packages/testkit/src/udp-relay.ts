/// <reference lib="dom" preserve="true" />
/**
 * A UDP relay on loopback that a test can cut: the media path's counterpart of {@link FaultProxy}.
 * Put it between one WebRTC client and the server's forwarder, then break that client's media
 * path alone (its WebSocket stays up), or together with its socket (a real network drop).
 *
 * ```
 *  client ──UDP──▶ UdpRelay 127.0.0.1:port(A) ──UDP──▶ forwarder A (its ICE candidate)
 *                           127.0.0.1:port(B) ──UDP──▶ forwarder B
 *                  cut()     every datagram, both ways, is dropped
 *                  restore() forwarded again
 * ```
 *
 * One relay port per target address, made on first use; a relay port forwards what the client
 * sends to its target, from that same port, and what the target sends back to the client address
 * that spoke last (one client per relay). The client learns the relay's ports because its remote
 * descriptions and candidates are rewritten by {@link relayedWebRtc}: the forwarder's host
 * candidates become the relay's, and the client's own candidates are not sent (the forwarder
 * would check them and find a path around the relay), so every packet takes the relay. The
 * forwarder is ICE-lite and answers checks from any address (the relay's appears as
 * peer-reflexive, as a client behind a NAT would), so nothing on the server changes. No iptables needed: it works in a loopback-only namespace as any user.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { waitFor } from './wait-for.js';

interface Leg {
  readonly socket: Socket;
  readonly port: number;
  client: RemoteInfo | undefined;
}

/**
 * @example
 * const relay = await UdpRelay.start();
 * const session = new Session(apiKey, sessionId, undefined, { url, webrtc: relayedWebRtc(wrtc, relay) });
 * relay.cut();      // the client's media path is gone; its signalling is not
 * relay.restore();
 * await relay.close();
 */
export class UdpRelay {
  /** Datagrams forwarded (both ways) and dropped while cut. */
  readonly counts = { forwarded: 0, dropped: 0 };
  readonly #legs = new Map<string, Promise<Leg>>();
  readonly #dropListeners = new Set<() => void>();
  #cut = false;
  #closed = false;

  private constructor(readonly host: string) {}

  /** A relay listening on `host` (default 127.0.0.1). */
  static start(host = '127.0.0.1'): Promise<UdpRelay> {
    return Promise.resolve(new UdpRelay(host));
  }

  /** Whether the relay drops everything now. */
  get isCut(): boolean {
    return this.#cut;
  }

  /** The relay port that forwards to `targetHost:targetPort` (made on first use). */
  async portFor(targetHost: string, targetPort: number): Promise<number> {
    const key = `${targetHost}:${targetPort}`;
    let leg = this.#legs.get(key);
    if (leg === undefined) {
      leg = this.#open(targetHost, targetPort);
      this.#legs.set(key, leg);
    }
    return (await leg).port;
  }

  /** Drop every datagram, both ways, until {@link restore}. */
  cut(): void {
    this.#cut = true;
  }

  restore(): void {
    this.#cut = false;
  }

  /**
   * Resolves once `n` more datagrams than now were dropped (the cut really hit the media path:
   * about 30 a second from a client sending video), or rejects after `ms`.
   */
  dropped(n: number, ms: number): Promise<void> {
    const target = this.counts.dropped + n;
    return waitFor(
      (resolve) => {
        const check = (): void => {
          if (this.counts.dropped >= target) resolve();
        };
        this.#dropListeners.add(check);
        return () => this.#dropListeners.delete(check);
      },
      ms,
      () => `${n} datagrams dropped by the relay (${this.counts.dropped} of ${target})`,
    );
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const legs = await Promise.all(this.#legs.values());
    await Promise.all(
      legs.map(
        (l) =>
          new Promise<void>((resolve) => {
            l.socket.close(() => {
              resolve();
            });
          }),
      ),
    );
  }

  async #open(targetHost: string, targetPort: number): Promise<Leg> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, this.host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    socket.on('error', () => undefined); // a send to a closed port: the datagram is lost, like on a network
    const leg: Leg = { socket, port: socket.address().port, client: undefined };
    socket.on('message', (msg, from) => {
      if (this.#cut) {
        this.counts.dropped++;
        for (const l of [...this.#dropListeners]) l();
        return;
      }
      const fromTarget = from.port === targetPort && from.address === targetHost;
      if (!fromTarget) leg.client = from;
      const to = fromTarget ? leg.client : { address: targetHost, port: targetPort };
      if (to === undefined) return;
      this.counts.forwarded++;
      socket.send(msg, to.port, to.address);
    });
    return leg;
  }
}

/** `a=candidate:` / `candidate:` host candidates over UDP: foundation component udp priority address port. */
const CANDIDATE = /^((?:a=)?candidate:\S+ \d+ udp \d+ )(\d+\.\d+\.\d+\.\d+) (\d+)( typ host.*)$/i;

/**
 * Rewrites one candidate line to go through the relay; other candidates (TCP, reflexive, mDNS
 * names) become null: they would be a path around the relay. Lines that are no candidate are kept.
 */
async function viaRelay(relay: UdpRelay, line: string): Promise<string | null> {
  const m = CANDIDATE.exec(line);
  if (m === null) return /^(a=)?candidate:/i.test(line) ? null : line;
  const [, head, address, port, tail] = m as unknown as [string, string, string, string, string];
  return `${head}${relay.host} ${await relay.portFor(address, Number(port))}${tail}`;
}

/** An SDP whose UDP host candidates point at the relay (its other candidates removed). */
export async function sdpViaRelay(relay: UdpRelay, sdp: string): Promise<string> {
  const lines = sdp.split('\r\n');
  return (await Promise.all(lines.map((l) => viaRelay(relay, l)))).filter((l) => l !== null).join('\r\n');
}

/** What {@link relayedWebRtc} needs of a WebRTC implementation (`@roamhq/wrtc`, a browser's). */
export interface WebRtcLike {
  readonly RTCPeerConnection: new (configuration?: RTCConfiguration) => RTCPeerConnection;
}

/**
 * A WebRTC implementation whose peer connections reach their remote peer through `relay`: every
 * remote description and remote candidate is rewritten first ({@link sdpViaRelay}). Pass it as
 * the client's `SessionOptions.webrtc`.
 */
export function relayedWebRtc<W extends WebRtcLike>(webrtc: W, relay: UdpRelay): W {
  const Base = webrtc.RTCPeerConnection;
  class RelayedPeerConnection extends Base {
    constructor(configuration?: RTCConfiguration) {
      super(configuration);
      // Our own candidates are not told to the other end: it would check them directly and
      // find a path around the relay. It learns the relay's address from our checks instead
      // (peer-reflexive), like a peer behind a NAT. `@roamhq/wrtc` calls `this.onicecandidate`.
      let handler: ((e: RTCPeerConnectionIceEvent) => void) | null = null;
      Object.defineProperty(this, 'onicecandidate', {
        configurable: true,
        get: () =>
          handler === null
            ? null
            : (e: RTCPeerConnectionIceEvent) => {
                if (e.candidate === null || e.candidate.candidate === '') handler?.call(this, e);
              },
        set: (h: ((e: RTCPeerConnectionIceEvent) => void) | null) => {
          handler = h;
        },
      });
    }

    override async setRemoteDescription(d: RTCSessionDescriptionInit): Promise<void> {
      const sdp = d.sdp === undefined ? undefined : await sdpViaRelay(relay, d.sdp);
      return super.setRemoteDescription(sdp === undefined ? d : { type: d.type, sdp });
    }

    override async addIceCandidate(c?: RTCIceCandidateInit | null): Promise<void> {
      if (c?.candidate === undefined || c.candidate === '') return super.addIceCandidate(c ?? undefined);
      const candidate = await viaRelay(relay, c.candidate);
      if (candidate === null) return; // a path around the relay: not given to the peer connection
      return super.addIceCandidate({ ...c, candidate });
    }
  }
  return { ...webrtc, RTCPeerConnection: RelayedPeerConnection };
}
