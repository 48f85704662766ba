/**
 * `POST {prefix}/session/create` (`opentok@2.23.2` lib/client.js createSession): form fields in, a one-element JSON array out.
 */
import { randomUUID } from 'node:crypto';
import { isIPv4 } from 'node:net';
import { mintSessionId } from '@parley/server-sdk';
import type { ArchiveMode, MediaMode, SessionRecord } from '../../store/store.js';
import { readFields } from '../body.js';
import { RestError, sendJson } from '../respond.js';
import type { RouteContext } from '../router.js';

/** Archive resolutions OpenTok accepts for `archiveResolution` (landscape and portrait). */
const ARCHIVE_RESOLUTIONS = new Set(['640x480', '480x640', '1280x720', '720x1280', '1920x1080', '1080x1920']);
/** OpenTok documents archive names up to 80 characters. */
const MAX_ARCHIVE_NAME = 80;

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * Format a time like Java's `Date.toString()` in UTC (`EEE MMM dd HH:mm:ss zzz yyyy`), the
 * format of OpenTok's `create_dt`.
 * @example javaDateString(Date.UTC(2026, 10, 30, 1, 34, 53)) // 'Mon Nov 30 01:34:53 UTC 2026'
 */
export function javaDateString(ms: number): string {
  const d = new Date(ms);
  const two = (n: number): string => String(n).padStart(2, '0');
  return (
    `${DAYS[d.getUTCDay()] ?? ''} ${MONTHS[d.getUTCMonth()] ?? ''} ${two(d.getUTCDate())} ` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} UTC ${d.getUTCFullYear()}`
  );
}

/** Session options after validation of the form fields. */
interface CreateOptions {
  mediaMode: MediaMode;
  archiveMode: ArchiveMode;
  location: string;
  e2ee: boolean;
}

/**
 * Validate the createSession fields. Unknown fields are ignored; `archiveName` and
 * `archiveResolution` are checked but not stored, since Parley does not archive.
 */
function parseOptions(fields: ReadonlyMap<string, string>): CreateOptions {
  const p2p = fields.get('p2p.preference');
  let mediaMode: MediaMode;
  // The SDK always sends p2p.preference; a raw caller that omits it gets the SDKs' default, relayed.
  if (p2p === undefined || p2p === 'enabled') mediaMode = 'relayed';
  else if (p2p === 'disabled') mediaMode = 'routed';
  else throw new RestError(400, 'p2p.preference must be "enabled" or "disabled"');

  const archive = fields.get('archiveMode') ?? 'manual';
  if (archive !== 'manual' && archive !== 'always')
    throw new RestError(400, 'archiveMode must be "manual" or "always"');
  if (archive === 'always' && mediaMode !== 'routed') {
    throw new RestError(400, 'A session with always archive mode must also have the routed media mode.');
  }

  const location = fields.get('location');
  if (location !== undefined && !isIPv4(location)) throw new RestError(400, 'location must be an IPv4 address');

  const e2ee = fields.get('e2ee') ?? 'false';
  if (e2ee !== 'true' && e2ee !== 'false') throw new RestError(400, 'e2ee must be "true" or "false"');

  const archiveName = fields.get('archiveName');
  if (archiveName !== undefined && archiveName.length > MAX_ARCHIVE_NAME) {
    throw new RestError(400, `archiveName must be at most ${MAX_ARCHIVE_NAME} characters`);
  }
  const resolution = fields.get('archiveResolution');
  if (resolution !== undefined && !ARCHIVE_RESOLUTIONS.has(resolution)) {
    throw new RestError(400, `archiveResolution must be one of ${[...ARCHIVE_RESOLUTIONS].join(', ')}`);
  }
  return { mediaMode, archiveMode: archive, location: location ?? '', e2ee: e2ee === 'true' };
}

/**
 * Create a session for the authenticated project: mint an OpenTok-layout ID bound to the API
 * key (so the official SDK's `generateToken` accepts it), store it, and answer like the real
 * platform: `200 application/json` `[{ "session_id", "project_id", "partner_id", "create_dt", … }]`.
 */
export async function createSessionRoute(ctx: RouteContext): Promise<void> {
  const options = parseOptions(await readFields(ctx.req));
  const createdAt = ctx.now();
  const sessionId = mintSessionId(ctx.apiKey, {
    relayed: options.mediaMode === 'relayed',
    ...(options.location !== '' ? { location: options.location } : {}),
  });
  const record: SessionRecord = { sessionId, apiKey: ctx.apiKey, createdAt, ...options };
  await ctx.store.createSession(record);
  // Field set and order of the OpenTok platform's answer, plus the `media_server_url` that the
  // Node SDK's test fixture and the Java SDK carry. The SDK reads only `session_id`
  // (`opentok@2.23.2` lib/opentok.js createSession).
  sendJson(ctx.res, 200, [
    {
      session_id: sessionId,
      project_id: ctx.apiKey,
      partner_id: ctx.apiKey,
      create_dt: javaDateString(createdAt),
      session_status: null,
      status_invalid: null,
      media_server_hostname: null,
      messaging_server_url: null,
      messaging_url: null,
      symphony_address: null,
      properties: null,
      ice_server: null,
      session_segment_id: randomUUID(),
      ice_servers: null,
      ice_credential_expiration: 86100,
      media_server_url: '',
    },
  ]);
}
