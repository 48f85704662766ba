// What the demo page shows: names, the people list, the recipient choice, chat bubbles, the
// activity log. No session logic here; demo.js owns the Session and calls these.

const $ = (id) => document.getElementById(id);

/**
 * A person's name from their connection data: `name=Alice` (what the demo's credentials and
 * `parley token --data "name=Alice"` write), JSON with a `name`, or the data itself; else a guest
 * name from the connection ID, so nobody shows up as raw data or blank.
 */
export function nameOf(connection) {
  const data = (connection?.data ?? '').trim();
  let name = data;
  if (data.startsWith('name=')) name = data.slice('name='.length);
  else if (data.startsWith('{')) {
    try {
      const parsed = JSON.parse(data);
      name = typeof parsed?.name === 'string' ? parsed.name : '';
    } catch {
      name = '';
    }
  }
  name = name.trim();
  return name !== '' ? name : `Guest ${(connection?.connectionId ?? '????').slice(-4)}`;
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/**
 * The people list: you first, then the others in order of arrival, each connected or reconnecting.
 * While you are reconnecting yourself (`stale`) nobody else's presence is known, and it says so.
 */
export function renderPeople(me, others, reconnecting, stale) {
  const items = [];
  if (me) items.push(person(me, true, stale, false));
  for (const connection of others) {
    items.push(person(connection, false, reconnecting.has(connection.connectionId), stale));
  }
  $('people').replaceChildren(...items);
  $('people').toggleAttribute('data-stale', stale);
  $('count').textContent = String(items.length);
}

function person(connection, isMe, isReconnecting, stale) {
  const li = el('li', 'person');
  li.dataset.connectionId = connection.connectionId;
  li.dataset.state = isReconnecting ? 'reconnecting' : 'connected';
  li.title = `connection ${connection.connectionId}`;
  const name = nameOf(connection);
  li.append(el('span', 'avatar', name.slice(0, 1).toUpperCase()), el('span', 'who', name));
  if (isMe) li.append(el('span', 'you', 'you'));
  const presence = stale ? 'unknown while you reconnect' : isReconnecting ? 'reconnecting…' : 'online';
  li.append(el('span', 'presence', presence));
  return li;
}

/**
 * The "To" choice, rebuilt from who is here without losing what was chosen: a chosen person who
 * leaves stays chosen, marked as gone, so a private message can never fall back to everyone.
 * Returns the chosen connection ID ('' for everyone) and whether that person is gone.
 */
export function renderRecipients(others, chosen, chosenName) {
  const select = $('to');
  const options = [new Option('Everyone', '')];
  let present = chosen === '';
  for (const connection of others) {
    options.push(new Option(`${nameOf(connection)} (private)`, connection.connectionId));
    if (connection.connectionId === chosen) present = true;
  }
  if (!present) options.push(new Option(`${chosenName} (left)`, chosen));
  select.replaceChildren(...options);
  select.value = chosen;
  return { gone: !present };
}

const STATE_TEXT = {
  sending: 'sending…',
  queued: 'queued: sends when the connection is back',
  sent: 'sent',
};

/** Add a chat bubble; returns a function that updates its delivery state (for what you sent). */
export function addMessage({ mine, from, to, text, type }) {
  $('no-messages')?.remove();
  const li = el('li', mine ? 'message mine' : 'message theirs');
  const meta = el('div', 'meta');
  meta.append(el('span', 'from', from), el('span', 'arrow', ' → '), el('span', 'to', to));
  if (type) meta.append(el('span', 'type', type));
  const state = el('span', 'state');
  if (mine) meta.append(state);
  li.append(meta, el('div', 'text', text));
  const list = $('messages');
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  list.append(li);
  if (atBottom || mine) list.scrollTop = list.scrollHeight;
  return (next, error) => {
    li.dataset.state = next;
    if (next !== 'failed') state.textContent = STATE_TEXT[next];
    else if (error === null) state.textContent = 'not sent: you were disconnected';
    else state.textContent = `not sent: ${sentence(error.message)} (error ${error.code})`;
  };
}

let logged = 0;

/** One line in the activity log, oldest first. */
export function log(text) {
  logged += 1;
  const li = el('li', '', text);
  li.prepend(el('time', '', new Date().toLocaleTimeString()));
  const list = $('log');
  list.append(li);
  list.scrollTop = list.scrollHeight;
  $('log-count').textContent = String(logged);
}

/**
 * An SDK message as a sentence for people. Refusals end with the WebSocket close code, "(4004)":
 * a wire detail; the page shows the error's own code instead, so there is one code, not two.
 */
export function sentence(message) {
  const text = String(message).replace(/\s*\(\d+\)$/, '');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The status banner: what is happening and what to do about it. */
export function renderBanner(tone, title, text) {
  const banner = $('banner');
  banner.dataset.tone = tone;
  $('banner-title').textContent = title;
  $('banner-text').textContent = text;
}

/** An error next to the action that caused it, with its one code (none when the server never answered); null hides it. */
export function showError(id, error) {
  const node = $(id);
  node.hidden = error === null;
  if (error === null) node.textContent = '';
  else
    node.textContent =
      error.code === undefined ? sentence(error.message) : `${sentence(error.message)} (error ${error.code})`;
}
