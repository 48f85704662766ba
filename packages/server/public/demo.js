// The demo page: one Session at a time, driven by the page. Loads the client's browser bundle and
// nothing else; demo-view.js draws. The one owner of what the page shows is render().
import { Session, SessionConnectionStatus as Status } from '/demo/parley.browser.js';
import {
  addMessage,
  log,
  nameOf,
  renderBanner,
  renderPeople,
  renderRecipients,
  sentence,
  showError,
} from '/demo/demo-view.js';
import { startMedia, stopMedia } from '/demo/demo-media.js';

const $ = (id) => document.getElementById(id);
/** Signal types of the demo's chat. Receivers cannot see whom a signal was sent to, so a private message says so by its type. */
const CHAT = 'chat';
const PRIVATE = 'chat-private';
/** Per tab, not per browser: a second tab opened from the invite link is someone else, not you again. */
const NAME_KEY = 'parley-demo-name';
const STATUS_LABEL = {
  NotConnected: 'Not connected',
  Connected: 'Connected',
  Connecting: 'Joining…',
  Reconnecting: 'Reconnecting…',
  Disconnecting: 'Leaving…',
  Failed: 'Disconnected',
};

const params = new URLSearchParams(location.search);
/** The session the Join button joins: from an invite link, or the one joined last. */
let sessionId = params.get('sessionId') || null;
/** The development project's API key, once the server told us; invites for it join in one click. */
let demoApiKey = null;
let session = null;
/** True once this page has been in a session: the Join button then says Rejoin. */
let wasIn = false;
/** True while `connect()` runs: its failure is shown under Join, not in the banner. */
let joining = false;
let dropError = null;
let endReason = null;
/** Others whose transport dropped and who are resuming. */
const reconnecting = new Set();
/** The chosen recipient ('' is everyone) and their name, kept while people come and go. */
let chosen = '';
let chosenName = '';
/** Updaters of messages sent and not yet acknowledged: shown as queued while reconnecting. */
const pending = new Set();

for (const field of ['apiKey', 'sessionId', 'token']) if (params.get(field)) $(field).value = params.get(field);
$('name').value = sessionStorage.getItem(NAME_KEY) || `Guest ${100 + Math.floor(Math.random() * 900)}`;

function statusOf() {
  return session?.connectionStatus ?? Status.NotConnected;
}

function others() {
  const status = statusOf();
  if (status !== Status.Connected && status !== Status.Reconnecting) return [];
  return [...session.connections.values()];
}

function render() {
  const status = statusOf();
  const statusName = Status[status];
  $('status').dataset.status = statusName;
  $('status').textContent = STATUS_LABEL[statusName];
  const idle = status === Status.NotConnected || status === Status.Failed;
  const present = others();

  document.body.toggleAttribute('data-in-session', !idle); // phones put the chat first then
  $('join').hidden = !idle;
  $('join-title').textContent =
    sessionId === null ? 'Start a session' : wasIn ? 'Rejoin the session' : 'Join the session';
  $('join-button').textContent = sessionId === null ? 'Start a session' : wasIn ? 'Rejoin' : 'Join';
  $('room').hidden = idle;
  $('stage').hidden = idle;
  if (session !== null) $('invite-link').value = inviteLink(session);
  renderPeople(idle ? null : session.connection, present, reconnecting, status === Status.Reconnecting);
  const { gone } = renderRecipients(present, chosen, chosenName);

  const canSend = status === Status.Connected || status === Status.Reconnecting;
  $('send').disabled = !canSend || gone;
  $('composer-hint').textContent = !canSend
    ? 'Join a session to chat.'
    : gone
      ? `${chosenName} left the session. Choose someone else.`
      : status === Status.Reconnecting
        ? 'Reconnecting: what you send now is queued and goes out when the connection is back.'
        : chosen !== ''
          ? `Only ${chosenName} will see this.`
          : 'Everyone in the session will see this.';
  for (const update of pending) update(status === Status.Reconnecting ? 'queued' : 'sending');
  banner(status, present);
}

function banner(status, present) {
  switch (status) {
    case Status.Connecting:
      return renderBanner('busy', 'Joining…', 'Connecting to the server.');
    case Status.Disconnecting:
      return renderBanner('busy', 'Leaving…', 'Telling the others you are going.');
    case Status.Reconnecting:
      return renderBanner(
        'warn',
        'Connection lost, reconnecting…',
        'Parley is resuming your connection. Keep chatting: messages are queued and delivered once it is back.',
      );
    case Status.Connected:
      return present.length === 0
        ? renderBanner(
            'ok',
            `You're in, ${nameOf(session.connection)}.`,
            'Nobody else is here yet: copy the invite link and send it to a friend.',
          )
        : renderBanner(
            'ok',
            `You're in, ${nameOf(session.connection)}.`,
            `Here with ${listOf(present.map((c) => (reconnecting.has(c.connectionId) ? `${nameOf(c)} (reconnecting)` : nameOf(c))))}.`,
          );
    case Status.Failed:
      return renderBanner(
        'error',
        'Disconnected.',
        `${dropError === null ? 'The connection was lost' : `${sentence(dropError.message)} (error ${dropError.code})`}. Press Rejoin to join again.`,
      );
    default:
      if (session === null) {
        return sessionId === null
          ? renderBanner(
              'idle',
              'Not in a session yet.',
              'Pick a name and start a session, then send the invite link to a friend.',
            )
          : renderBanner('idle', "You're invited.", 'Check your name and press Join.');
      }
      if (endReason === 'forceDisconnected')
        return renderBanner('error', 'Removed.', 'A moderator removed you from the session.');
      if (endReason === 'clientDisconnected')
        return renderBanner('idle', 'You left the session.', 'Press Rejoin to go back in.');
      return renderBanner('error', 'Could not join.', 'The reason is under the Join button.');
  }
}

function listOf(names) {
  return names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

function inviteLink(s) {
  if (s.apiKey === demoApiKey) return `${location.origin}/?sessionId=${encodeURIComponent(s.sessionId)}`;
  // Not the development project: the invitee needs a token of their own, which this server does not mint.
  return `${location.origin}/?apiKey=${encodeURIComponent(s.apiKey)}&sessionId=${encodeURIComponent(s.sessionId)}`;
}

const LEFT = {
  clientDisconnected: 'left',
  networkDisconnected: 'lost their connection',
  forceDisconnected: 'was removed',
};

function watch(s) {
  const mine = (listener) => (event) => {
    if (s === session) listener(event);
  };
  s.on('connectionStatusChanged', mine(render));
  s.on(
    'sessionConnected',
    mine(({ connection }) => {
      wasIn = true;
      log(`You joined as ${nameOf(connection)}`);
    }),
  );
  s.on(
    'sessionError',
    mine(({ error }) => {
      if (!joining) dropError = error;
      render(); // the status changed before this event: draw again now that the reason is known
    }),
  );
  s.on(
    'sessionDisconnected',
    mine(({ reason }) => {
      endReason = reason;
      stopMedia();
      log(
        reason === 'clientDisconnected'
          ? 'You left the session'
          : reason === 'forceDisconnected'
            ? 'A moderator removed you'
            : 'You were disconnected',
      );
      render();
    }),
  );
  s.on(
    'sessionReconnecting',
    mine(() => log('Connection lost; reconnecting')),
  );
  s.on(
    'sessionReconnected',
    mine(() => log('Reconnected')),
  );
  const people = (text) =>
    mine(({ connection, reason }) => {
      if (text === 'is reconnecting') reconnecting.add(connection.connectionId);
      else reconnecting.delete(connection.connectionId);
      if (connection.connectionId === chosen) chosenName = nameOf(connection);
      log(`${nameOf(connection)} ${text === 'left' ? (LEFT[reason] ?? 'left') : text}`);
      render();
    });
  s.on('connectionCreated', people('joined'));
  s.on('connectionDestroyed', people('left'));
  s.on('connectionReconnecting', people('is reconnecting'));
  s.on('connectionReconnected', people('is back'));
  s.on(
    'signal',
    mine(({ type, data, from }) => {
      if (from !== null && from.connectionId === s.connection?.connectionId) return; // our broadcast: shown when sent
      addMessage({
        mine: false,
        from: from === null ? 'Server' : nameOf(from),
        to: type === PRIVATE ? 'you (private)' : 'everyone',
        text: data ?? '',
        type: type === CHAT || type === PRIVATE ? '' : (type ?? ''),
      });
    }),
  );
}

async function connect(apiKey, id, token) {
  stopMedia();
  session = new Session(apiKey, id);
  sessionId = id;
  joining = true;
  dropError = null;
  endReason = null;
  chosen = '';
  reconnecting.clear();
  watch(session);
  if (apiKey === demoApiKey) history.replaceState(null, '', `/?sessionId=${encodeURIComponent(id)}`);
  render();
  try {
    await session.connect(token);
    void startMedia(session, {
      name: nameOf(session.connection),
      publish: $('with-camera').checked,
      onLog: log,
    });
  } catch (error) {
    showError('join-error', error);
  } finally {
    joining = false;
    render();
  }
}

async function busy(button, work) {
  button.disabled = true;
  showError('join-error', null);
  try {
    await work();
  } finally {
    button.disabled = false;
  }
}

$('join-form').addEventListener('submit', (event) => {
  event.preventDefault();
  void busy($('join-button'), async () => {
    const name = $('name').value.trim();
    sessionStorage.setItem(NAME_KEY, name);
    const query = new URLSearchParams({ name });
    if (sessionId !== null) query.set('sessionId', sessionId);
    let body;
    try {
      const res = await fetch(`/demo/credentials?${query}`);
      body = await res.json().catch(() => ({}));
      if (!res.ok) return showError('join-error', { code: res.status, message: body.message ?? res.statusText });
    } catch (error) {
      return showError('join-error', { message: `The server did not answer (${error.message}). Is it running?` });
    }
    demoApiKey = body.apiKey;
    await connect(body.apiKey, body.sessionId, body.token);
  });
});

$('own-form').addEventListener('submit', (event) => {
  event.preventDefault();
  void busy($('connect'), () =>
    connect($('apiKey').value.trim(), $('sessionId').value.trim(), $('token').value.trim()),
  );
});

$('leave').addEventListener('click', () => void session?.disconnect());

$('copy-invite').addEventListener('click', async () => {
  $('invite-link').select();
  try {
    await navigator.clipboard.writeText($('invite-link').value);
    $('copy-invite').textContent = 'Copied';
  } catch {
    $('copy-invite').textContent = 'Press Ctrl+C';
  }
  setTimeout(() => ($('copy-invite').textContent = 'Copy'), 2000);
});

$('to').addEventListener('change', () => {
  chosen = $('to').value;
  chosenName = chosen === '' ? '' : nameOf(session?.connections.get(chosen));
  render();
});

$('composer').addEventListener('submit', async (event) => {
  event.preventDefault();
  const text = $('message').value;
  if (text.trim() === '' || $('send').disabled) return;
  $('message').value = '';
  const to = chosen;
  const update = addMessage({ mine: true, from: 'You', to: to === '' ? 'everyone' : `${chosenName} (private)`, text });
  pending.add(update);
  update(statusOf() === Status.Reconnecting ? 'queued' : 'sending');
  try {
    await session.signal({ type: to === '' ? CHAT : PRIVATE, data: text, ...(to !== '' && { to }) });
    update('sent');
  } catch (error) {
    // When the connection ended, the banner already says why: the message just says it did not go.
    const ended = statusOf() === Status.Failed || statusOf() === Status.NotConnected;
    update('failed', ended ? null : error);
  } finally {
    pending.delete(update);
  }
});

render();
