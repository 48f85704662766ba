/**
 * The TypeScript side of the Redis bus's stream operations (the Lua side: redis-stream-script.ts):
 * the reading of a `stream` script call's answers, the streams a join's answer carries beside its
 * roster, and the routed-media channel to a session's forwarder node.
 */
import type { ConnectionInfo, StreamInfo } from '@parley/protocol';
import type { ForwarderChannel, ForwarderMessage } from '../media/cluster-router.js';
import type { RedisLink } from './redis-link.js';
import type { StreamOpError, StreamOpResult, StreamOp, StreamView } from './stream-ops.js';

const ERRORS: ReadonlySet<string> = new Set<StreamOpError>([
  'session-not-found',
  'connection-not-found',
  'stream-not-found',
  'not-owner',
  'subscription-not-found',
  'stream-limit',
  'subscriber-limit',
]);

/** A join's answer after `ok, seq`: the roster (connection JSON) and the streams ('S' + StreamInfo JSON). */
export function joinAnswer(items: readonly unknown[]): { roster: ConnectionInfo[]; streams: StreamInfo[] } {
  const roster: ConnectionInfo[] = [];
  const streams: StreamInfo[] = [];
  for (const item of items) {
    const text = String(item);
    if (text.startsWith('S')) streams.push(JSON.parse(text.slice(1)) as StreamInfo);
    else roster.push(JSON.parse(text) as ConnectionInfo);
  }
  return { roster, streams };
}

/** The script's answer to a stream operation: `[word, seq, ...extra]`. */
export function streamAnswer(op: StreamOp, reply: readonly unknown[]): StreamOpResult {
  const word = String(reply[0]);
  if (word === 'ok') {
    const first = reply[2];
    if (op.op === 'publish')
      return typeof first === 'string' ? { ok: true, stream: JSON.parse(first) as StreamInfo } : { ok: true };
    if (op.op === 'list') return { ok: true, streams: reply.slice(2).map((text) => view(String(text))) };
    return { ok: true };
  }
  // 'epoch' (Redis lost its data: this node's members are being ended) or 'lost' (a resend's
  // answer was forgotten): the session as this node knew it is gone.
  const error = (ERRORS.has(word) ? word : 'session-not-found') as StreamOpError;
  const detail = typeof reply[2] === 'string' && reply[2] !== '' ? reply[2] : undefined;
  return { ok: false, error, ...(detail !== undefined && { detail }) };
}

/** A stream as the REST API shows it, from the script's `{i: StreamInfo, c: classes}`. */
function view(text: string): StreamView {
  const r = JSON.parse(text) as { i: StreamInfo; c: unknown };
  const { streamId, connectionId, videoType, name } = r.i;
  // (Lua's JSON encodes an empty list as {}.)
  const layoutClassList = Array.isArray(r.c) ? (r.c as string[]) : [];
  return { id: streamId, connectionId, videoType, name, layoutClassList };
}

/**
 * Routed media across nodes (media/cluster-router.ts): the session's forwarder node is kept in
 * Redis (`s:SESSION:fw`); calls for it (`fwcall`) and its answers (`fwsend`) travel on the node
 * channels, through this node's operation queue (in order with its other operations).
 */
export function forwarderChannel(
  link: RedisLink,
  nodeId: string,
  listen: (handler: (message: ForwarderMessage) => void) => void,
): ForwarderChannel {
  return {
    nodeId,
    call: async (sessionId, elect, request) => {
      const reply = await link.run('fwcall', 0, sessionId, [elect ? '1' : '0', request]);
      const where = String(reply[0]);
      if (where === 'here' || where === 'sent' || where === 'none') return where;
      throw new Error(`the session's forwarder could not be found (${where})`);
    },
    send: (node, message) => {
      link.run('fwsend', 0, '', [node, message]).catch(() => undefined);
    },
    listen,
  };
}
