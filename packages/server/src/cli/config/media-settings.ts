/**
 * The registry rows of the media options: Parley's forwarder for routed sessions, the address it
 * binds and announces, and the ICE servers every client is given. Defaults are createServer's.
 */
import { iceServersOf } from '../../media/ice-servers.js';
import { boolean, defineSetting, text, ValueError, type AnySetting, type RawValue } from './setting.js';

/** A JSON array of RTCIceServer objects (`[{"urls":"stun:stun.example.com:3478"}]`). */
function iceServers(raw: RawValue): unknown {
  let value: unknown = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      throw new ValueError('must be a JSON array like [{"urls":"stun:stun.example.com:3478"}]');
    }
  }
  try {
    return iceServersOf(value);
  } catch (err) {
    throw new ValueError((err as Error).message);
  }
}

/** The media rows, in `--help` order. */
export const MEDIA_SETTINGS: readonly AnySetting[] = [
  defineSetting({
    name: 'forwarder',
    flag: 'forwarder',
    metavar: '1|0',
    env: 'PARLEY_FORWARDER',
    key: 'forwarder',
    kind: 'string',
    parse: boolean,
    default: () => undefined,
    defaultText: '1',
    doc: "carry routed sessions' media through Parley's forwarder (started with the first routed stream); 0: they run relayed, with a warning at startup",
    option: 'forwarder',
  }),
  defineSetting({
    name: 'media-address',
    flag: 'media-address',
    metavar: 'IP',
    env: 'PARLEY_MEDIA_ADDRESS',
    key: 'mediaAddress',
    kind: 'string',
    parse: text('an IPv4 address'),
    default: () => undefined,
    defaultText: '127.0.0.1',
    doc: 'the IPv4 address the forwarder binds and announces in its ICE candidates',
    option: 'mediaAddress',
  }),
  defineSetting({
    name: 'ice-servers',
    flag: 'ice-servers',
    metavar: 'JSON',
    env: 'PARLEY_ICE_SERVERS',
    key: 'iceServers',
    kind: 'string',
    parse: iceServers,
    default: () => undefined,
    defaultText: 'none (host candidates only)',
    doc: 'STUN/TURN servers given to every client, a JSON array of RTCIceServer objects',
    option: 'iceServers',
  }),
];
