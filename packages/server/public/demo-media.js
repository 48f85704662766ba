// The demo's video: our one Publisher (camera and microphone) and one Subscriber per stream of
// everyone else, subscribed as soon as the stream appears. This module owns that media state and
// redraws the tiles (demo-tiles.js) whenever it changes; demo.js hands it each new Session.
// Public SDK API only. `window.parleyDemo.tiles()` reports what each tile receives (for tests).
import { Publisher } from '/demo/parley.browser.js';
import { nameOf, sentence } from '/demo/demo-view.js';
import { renderTiles, tileVideo } from '/demo/demo-tiles.js';

const $ = (id) => document.getElementById(id);

let session = null;
let myName = '';
/** Our camera and microphone while we have them (we asked for them, so we stop them). */
let local = null;
let publisher = null;
/** 'off' | 'starting' | 'on' | 'stopping' */
let camera = 'off';
/** Whether this browser has a camera or a microphone at all (checked once). */
let hasDevices = null;
/** A sentence about the last camera problem, shown beside the camera button; null when none. */
let problem = null;
/** Others' streams by stream ID: { stream, subscriber, state: 'connecting' | 'live' | 'interrupted' }. */
const remote = new Map();
/** Whom to tell when something worth a log line happens. */
let log = () => {};

/** Whether this browser offers a camera or microphone (false in a browser without devices). */
async function devicesPresent() {
  if (hasDevices !== null) return hasDevices;
  const devices = (await navigator.mediaDevices?.enumerateDevices?.().catch(() => [])) ?? [];
  hasDevices = devices.some((d) => d.kind === 'videoinput' || d.kind === 'audioinput');
  return hasDevices;
}

/** Start showing `s`'s streams, and publish our camera if `publish` (and we have one). */
export async function startMedia(s, { name, publish, onLog }) {
  stopMedia();
  session = s;
  myName = name;
  log = onLog;
  const mine = (listener) => (event) => {
    if (s === session) listener(event);
  };
  s.on(
    'streamCreated',
    mine(({ stream }) => subscribe(stream)),
  );
  s.on(
    'streamDestroyed',
    mine(({ stream }) => {
      remote.delete(stream.streamId);
      draw();
    }),
  );
  s.on('streamPropertyChanged', mine(draw));
  for (const stream of s.streams.values()) subscribe(stream);
  draw();
  if (publish && (await devicesPresent())) await startCamera();
  else draw();
}

/** Forget the session's media: unsubscribe, unpublish, stop our devices, remove every tile. */
export function stopMedia() {
  session = null;
  remote.clear();
  releaseDevices();
  publisher = null;
  camera = 'off';
  problem = null;
  draw();
}

function subscribe(stream) {
  if (remote.has(stream.streamId)) return;
  const entry = { stream, subscriber: null, state: 'connecting' };
  remote.set(stream.streamId, entry);
  const subscriber = session.subscribe(stream);
  entry.subscriber = subscriber;
  const set = (state) => () => {
    entry.state = state;
    draw();
  };
  subscriber.on('connected', set('live'));
  subscriber.on('reconnected', set('live'));
  subscriber.on('disconnected', set('interrupted'));
  subscriber.on('videoDisabled', draw);
  subscriber.on('videoEnabled', draw);
  subscriber.on('error', ({ error }) => {
    log(`Could not show ${who(stream)}'s video: ${sentence(error.message)}`);
  });
  draw();
}

function releaseDevices() {
  for (const track of local?.getTracks() ?? []) track.stop();
  local = null;
}

/** Ask for the camera and microphone and publish them. */
async function startCamera() {
  if (session === null || camera !== 'off') return;
  const s = session;
  camera = 'starting';
  problem = null;
  draw();
  try {
    local = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
    if (s !== session) return releaseDevices();
    publisher = new Publisher(undefined, {
      name: myName,
      audioTrack: local.getAudioTracks()[0] ?? null,
      videoTrack: local.getVideoTracks()[0] ?? null,
    });
    publisher.on('error', ({ error }) => {
      problem = `${sentence(error.message)}.`;
      draw();
    });
    await s.publish(publisher);
    if (s !== session) return;
    camera = 'on';
    log('You are on camera');
  } catch (error) {
    if (s !== session) return;
    releaseDevices();
    publisher = null;
    camera = 'off';
    problem = `Your camera did not start: ${sentence(error.message ?? error.name)}.`;
  }
  draw();
}

async function stopCamera() {
  if (session === null || camera !== 'on') return;
  const s = session;
  camera = 'stopping';
  draw();
  try {
    await s.unpublish(publisher);
  } catch {
    // The session ended meanwhile: the stream ended with it.
  }
  if (s !== session) return;
  releaseDevices();
  publisher = null;
  camera = 'off';
  log('You left the camera');
  draw();
}

function who(stream) {
  return stream.name !== '' ? stream.name : nameOf(stream.connection);
}

function draw() {
  const tiles = [];
  if (local !== null && publisher !== null) {
    tiles.push({
      id: 'me',
      name: `${myName} (you)`,
      mine: true,
      media: local,
      video: publisher.publishVideo,
      audio: publisher.publishAudio,
      state: camera === 'on' ? 'live' : 'connecting',
    });
  }
  for (const { stream, subscriber, state } of remote.values()) {
    tiles.push({
      id: stream.streamId,
      name: who(stream),
      mine: false,
      media: subscriber?.mediaStream ?? null,
      video: stream.hasVideo && subscriber?.subscribeToVideo !== false,
      audio: stream.hasAudio,
      state,
    });
  }
  renderTiles(tiles);
  const inSession = session !== null;
  const on = camera === 'on';
  $('camera').disabled = !inSession || camera === 'starting' || camera === 'stopping' || hasDevices === false;
  $('camera').textContent = camera === 'starting' ? 'Starting…' : on ? 'Stop camera' : 'Start camera';
  $('camera').setAttribute('aria-pressed', String(on));
  $('mute-audio').disabled = !on;
  $('mute-audio').textContent = publisher?.publishAudio === false ? 'Unmute' : 'Mute';
  $('mute-audio').setAttribute('aria-pressed', String(on && publisher?.publishAudio === false));
  $('mute-video').disabled = !on;
  $('mute-video').textContent = publisher?.publishVideo === false ? 'Show video' : 'Hide video';
  $('mute-video').setAttribute('aria-pressed', String(on && publisher?.publishVideo === false));
  $('stage-hint').textContent =
    problem ??
    (hasDevices === false
      ? 'No camera or microphone found: you can still see and hear the others.'
      : tiles.length === 0
        ? 'Nobody is on camera yet.'
        : '');
  $('stage-hint').dataset.tone = problem === null ? 'idle' : 'error';
}

$('camera').addEventListener('click', () => void (camera === 'on' ? stopCamera() : startCamera()));
$('mute-audio').addEventListener('click', () => {
  if (publisher === null) return;
  publisher.publishAudio = !publisher.publishAudio;
  draw();
});
$('mute-video').addEventListener('click', () => {
  if (publisher === null) return;
  publisher.publishVideo = !publisher.publishVideo;
  draw();
});

/** What each tile receives, for tests and for curious people: `await parleyDemo.tiles()` in the console. */
window.parleyDemo = {
  async tiles() {
    const out = [];
    for (const { stream, subscriber, state } of remote.values()) {
      const video = tileVideo(stream.streamId);
      let framesDecoded = 0;
      let audioPackets = 0;
      const stats = await subscriber?.peerConnection?.getStats().catch(() => null);
      for (const s of stats?.values() ?? []) {
        if (s.type === 'inbound-rtp' && s.kind === 'video') framesDecoded += s.framesDecoded ?? 0;
        if (s.type === 'inbound-rtp' && s.kind === 'audio') audioPackets += s.packetsReceived ?? 0;
      }
      out.push({
        streamId: stream.streamId,
        name: who(stream),
        state,
        hasVideo: stream.hasVideo,
        hasAudio: stream.hasAudio,
        videoWidth: video?.videoWidth ?? 0,
        framesShown: video?.getVideoPlaybackQuality().totalVideoFrames ?? 0,
        muted: video?.muted ?? true,
        framesDecoded,
        audioPackets,
      });
    }
    return out;
  },
  publishing: () => ({
    camera,
    publishAudio: publisher?.publishAudio ?? false,
    publishVideo: publisher?.publishVideo ?? false,
  }),
};
