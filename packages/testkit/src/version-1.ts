/**
 * The server message types a client built before capabilities knows (PROTOCOL.md §Messages,
 * version 1), frozen here on purpose rather than derived from the protocol package: the tests that
 * keep such a client working must not move when the protocol gains a type.
 */
export const V1_SERVER_MESSAGE_TYPES: ReadonlySet<string> = new Set([
  'welcome',
  'resumed',
  'pong',
  'ack',
  'nack',
  'signal',
  'connectionCreated',
  'connectionDestroyed',
  'connectionReconnecting',
  'connectionReconnected',
]);
