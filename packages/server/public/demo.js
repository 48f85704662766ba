// The demo page: one Session, driven from a form. Loads the client's browser bundle.
import { Session, SessionConnectionStatus } from '/demo/parley.browser.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
for (const name of ['apiKey', 'sessionId', 'token']) if (params.get(name)) $(name).value = params.get(name);

let session = null;

function log(text, kind = '') {
  const li = document.createElement('li');
  li.textContent = `${new Date().toLocaleTimeString()}  ${text}`;
  if (kind) li.className = kind;
  $('log').prepend(li);
}

function label(connection) {
  return connection.data ? `${connection.data} (${connection.connectionId.slice(0, 8)})` : connection.connectionId;
}

function render() {
  const status = session ? SessionConnectionStatus[session.connectionStatus] : 'NotConnected';
  $('status').textContent = status;
  $('status').dataset.status = status;
  $('me').textContent = session?.connection ? label(session.connection) : '–';
  const list = $('connections');
  const to = $('signal-to');
  list.replaceChildren();
  to.replaceChildren(new Option('everyone', ''));
  for (const connection of session?.connections.values() ?? []) {
    const li = document.createElement('li');
    li.textContent = label(connection);
    li.dataset.connectionId = connection.connectionId;
    list.append(li);
    to.append(new Option(label(connection), connection.connectionId));
  }
  $('count').textContent = String(session?.connections.size ?? 0);
  const connected = session?.connectionStatus === SessionConnectionStatus.Connected;
  const idle =
    !session ||
    [SessionConnectionStatus.NotConnected, SessionConnectionStatus.Failed].includes(session.connectionStatus);
  $('connect').disabled = !idle;
  $('disconnect').disabled = idle;
  $('send').disabled = !connected;
}

$('dev-token').addEventListener('click', async () => {
  const query = new URLSearchParams({ name: $('name').value });
  if ($('sessionId').value) query.set('sessionId', $('sessionId').value);
  const res = await fetch(`/demo/credentials?${query}`);
  const body = await res.json();
  if (!res.ok) return log(`dev token: ${body.message}`, 'error');
  $('apiKey').value = body.apiKey;
  $('sessionId').value = body.sessionId;
  $('token').value = body.token;
  $('share-link').href = `/?apiKey=${encodeURIComponent(body.apiKey)}&sessionId=${encodeURIComponent(body.sessionId)}`;
  $('share').hidden = false;
  log('minted a development session and token');
});

$('join-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  session = new Session($('apiKey').value.trim(), $('sessionId').value.trim(), {
    sessionDidConnect: () => log('connected'),
    sessionDidDisconnect: () => log('disconnected'),
    sessionDidFailWithError: (_s, error) => log(`error ${error.code}: ${error.message}`, 'error'),
    sessionDidBeginReconnecting: () => log('reconnecting…'),
    sessionDidReconnect: () => log('reconnected'),
    sessionConnectionCreated: (_s, c) => log(`connection created: ${label(c)}`),
    sessionConnectionDestroyed: (_s, c) => log(`connection destroyed: ${label(c)}`),
    sessionConnectionDidBeginReconnecting: (_s, c) => log(`${label(c)} is reconnecting`),
    sessionConnectionDidReconnect: (_s, c) => log(`${label(c)} reconnected`),
    sessionReceivedSignal: (_s, type, from, data) =>
      log(`signal ${type ?? ''} from ${from ? label(from) : 'the server'}: ${data ?? ''}`, 'signal'),
  });
  session.on('connectionStatusChanged', render);
  session.on('connectionCreated', render);
  session.on('connectionDestroyed', render);
  render();
  try {
    await session.connect($('token').value.trim());
  } catch (error) {
    log(`connect failed ${error.code}: ${error.message}`, 'error');
  }
  render();
});

$('disconnect').addEventListener('click', async () => {
  await session?.disconnect();
  render();
});

$('signal-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const to = $('signal-to').value;
  try {
    await session.signal({ type: $('signal-type').value, data: $('signal-data').value, ...(to && { to }) });
  } catch (error) {
    log(`signal failed ${error.code}: ${error.message}`, 'error');
  }
});

render();
