/**
 * The registry row that picks the forwarder implementation of routed sessions (werift or
 * libdatachannel), beside the media rows of ./media-settings.ts. Default is createServer's.
 */
import { FORWARDER_IMPLS } from '../../media/types.js';
import { defineSetting, oneOf, type AnySetting } from './setting.js';

export const FORWARDER_IMPL_SETTING: AnySetting = defineSetting({
  name: 'forwarder-impl',
  flag: 'forwarder-impl',
  metavar: 'IMPL',
  env: 'PARLEY_FORWARDER_IMPL',
  key: 'forwarderImpl',
  kind: 'string',
  parse: oneOf(FORWARDER_IMPLS),
  default: () => undefined,
  defaultText: 'werift',
  doc: 'the forwarder with forwarder on: werift (a worker thread) or datachannel (libdatachannel in a child process; no ICE restart); docs/BENCHMARKS.md',
  option: 'forwarderImpl',
});
