// The video tiles: one per stream on the page (ours first), each a <video> with the person's
// name, "camera off" and "muted" marks, and a "reconnecting" badge while its media is
// interrupted. Tiles are kept by ID between draws, so a redraw never restarts a video.

const $ = (id) => document.getElementById(id);
/** Tile elements by tile ID. */
const tiles = new Map();

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function create(id, mine) {
  const root = el('figure', mine ? 'tile mine' : 'tile');
  root.dataset.tileId = id;
  const video = el('video');
  video.autoplay = true;
  video.playsInline = true;
  video.muted = mine; // never play our own microphone back to us
  const avatar = el('div', 'tile-avatar');
  const caption = el('figcaption');
  const name = el('span', 'tile-name');
  const marks = el('span', 'tile-marks');
  caption.append(name, marks);
  const badge = el('span', 'tile-badge', 'reconnecting…');
  root.append(video, avatar, caption, badge);
  const tile = { root, video, avatar, name, marks };
  tiles.set(id, tile);
  return tile;
}

/**
 * Draw `models` ({ id, name, mine, media, video, audio, state }), in order; tiles of IDs no
 * longer there are removed. `state` is 'connecting', 'live' or 'interrupted'.
 */
export function renderTiles(models) {
  const seen = new Set();
  const nodes = [];
  for (const m of models) {
    seen.add(m.id);
    const tile = tiles.get(m.id) ?? create(m.id, m.mine);
    if (tile.video.srcObject !== m.media) tile.video.srcObject = m.media;
    tile.root.dataset.video = m.video ? 'on' : 'off';
    tile.root.dataset.audio = m.audio ? 'on' : 'off';
    tile.root.dataset.state = m.state;
    tile.name.textContent = m.name;
    tile.avatar.textContent = m.name.slice(0, 1).toUpperCase();
    const marks = [];
    if (!m.audio) marks.push('muted');
    if (!m.video) marks.push('camera off');
    if (m.state === 'connecting') marks.push('connecting…');
    tile.marks.textContent = marks.join(' · ');
    nodes.push(tile.root);
  }
  for (const [id, tile] of tiles) {
    if (seen.has(id)) continue;
    tile.video.srcObject = null;
    tiles.delete(id);
  }
  // Only when the set or order changed: a <video> taken out of the page pauses.
  const now = [...$('tiles').children];
  if (now.length !== nodes.length || now.some((node, i) => node !== nodes[i])) $('tiles').replaceChildren(...nodes);
  $('tiles').dataset.count = String(nodes.length);
}

/** The <video> of a tile, or undefined. */
export function tileVideo(id) {
  return tiles.get(id)?.video;
}
