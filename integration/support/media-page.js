// In-page helpers of the media tier (served as /media-page.js beside the client bundle; plain JS:
// it runs in Chromium). Three things: publishing and subscribing through the SDK's public API; a
// raw WebRTC call whose offer, answer and candidates travel as Parley signals (the harness's own
// proof, independent of the SDK's streams); and what a test reads back from a page: decoded
// frames, the video's size, audio packets, the candidate pair.
import { Publisher, Session } from '/parley.browser.js';

/** Signal types of the raw call. */
const OFFER = 'webrtc-offer';
const ANSWER = 'webrtc-answer';
const CANDIDATE = 'webrtc-candidate';

const state = {
  session: null,
  pc: null,
  publisher: null,
  subscriber: null,
  video: null,
  startedAt: 0,
  firstFrameMs: null,
  errors: [],
};

/** Join the session; returns our connection ID. */
export async function join({ url, apiKey, sessionId, token }) {
  state.session = new Session(apiKey, sessionId, undefined, { url });
  await state.session.connect(token);
  return state.session.connection.connectionId;
}

/** A `<video>` on the page that plays `stream` and records when its first frame was shown. */
function show(stream) {
  const video = document.createElement('video');
  video.autoplay = true;
  video.playsInline = true;
  video.muted = true; // the audio is checked through the statistics
  video.srcObject = stream;
  video.addEventListener('loadeddata', () => {
    state.firstFrameMs ??= performance.now() - state.startedAt;
  });
  document.body.append(video);
  state.video = video;
}

/**
 * Be ready for a call: the fake camera and microphone go to whoever calls (or to `to` when we
 * call, see {@link call}); the remote tracks play in a `<video>`.
 */
export async function answerCalls() {
  const local = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
  const pc = new RTCPeerConnection({ iceServers: [] });
  state.pc = pc;
  for (const track of local.getTracks()) pc.addTrack(track, local);
  const remote = new MediaStream();
  pc.addEventListener('track', (e) => {
    remote.addTrack(e.track);
    if (state.video === null) show(remote);
  });
  let peer = null;
  pc.addEventListener('icecandidate', (e) => {
    if (e.candidate !== null && peer !== null)
      void state.session.signal({ type: CANDIDATE, to: peer, data: JSON.stringify(e.candidate) });
  });
  // One at a time, in order: a candidate must not be added before the description it belongs to.
  let chain = Promise.resolve();
  state.session.on('signal', (event) => {
    chain = chain.then(() => onSignal(event)).catch((error) => state.errors.push(String(error)));
  });
  const onSignal = async ({ type, data, from }) => {
    if (from === null || from.connectionId === state.session.connection?.connectionId) return;
    if (type === OFFER) {
      peer = from.connectionId;
      state.startedAt = performance.now();
      await pc.setRemoteDescription({ type: 'offer', sdp: data });
      await pc.setLocalDescription(await pc.createAnswer());
      await state.session.signal({ type: ANSWER, to: peer, data: pc.localDescription.sdp });
    } else if (type === ANSWER) {
      await pc.setRemoteDescription({ type: 'answer', sdp: data });
    } else if (type === CANDIDATE) {
      await pc.addIceCandidate(JSON.parse(data));
    }
  };
  return { setPeer: (id) => (peer = id) };
}

let calling = null;

/** Call connection `to` (which runs {@link answerCalls}) with our camera and microphone. */
export async function call(to) {
  calling ??= answerCalls();
  const { setPeer } = await calling;
  setPeer(to);
  state.startedAt = performance.now();
  const pc = state.pc;
  await pc.setLocalDescription(await pc.createOffer());
  await state.session.signal({ type: OFFER, to, data: pc.localDescription.sdp });
}

/** Publish the fake camera and microphone (the SDK asks for them); resolves with the stream ID. */
export async function publish(name) {
  state.publisher = new Publisher(undefined, { name });
  state.publisher.on('error', ({ error }) => state.errors.push(`publisher: ${error.message}`));
  const stream = await state.session.publish(state.publisher);
  return stream.streamId;
}

/** Turn our published video or audio off or on (others see streamPropertyChanged). */
export function setPublishing({ audio, video }) {
  if (audio !== undefined) state.publisher.publishAudio = audio;
  if (video !== undefined) state.publisher.publishVideo = video;
}

/**
 * Subscribe to the stream `streamId` (present, or when it is created): its tracks play in a
 * `<video>`; `firstFrameMs` is measured from the `subscribe()` call.
 */
export async function subscribe(streamId) {
  const stream =
    state.session.streams.get(streamId) ??
    (await new Promise((resolve) => {
      const off = state.session.on('streamCreated', (e) => {
        if (e.stream.streamId !== streamId) return;
        off();
        resolve(e.stream);
      });
    }));
  state.startedAt = performance.now();
  const subscriber = state.session.subscribe(stream);
  state.subscriber = subscriber;
  subscriber.on('error', ({ error }) => state.errors.push(`subscriber: ${error.message}`));
  subscriber.on('connected', () => show(subscriber.mediaStream));
}

/** What this page receives: from the `<video>` and from the peer connection's statistics. */
export async function received(pc = state.subscriber?.peerConnection ?? state.pc, video = state.video) {
  const out = {
    framesDecoded: 0,
    videoWidth: video?.videoWidth ?? 0,
    videoHeight: video?.videoHeight ?? 0,
    framesShown: video?.getVideoPlaybackQuality().totalVideoFrames ?? 0,
    audioPackets: 0,
    firstFrameMs: state.firstFrameMs,
    errors: state.errors,
    pair: null,
  };
  if (pc === null) return out;
  const stats = await pc.getStats();
  for (const s of stats.values()) {
    if (s.type === 'inbound-rtp' && s.kind === 'video') out.framesDecoded += s.framesDecoded ?? 0;
    if (s.type === 'inbound-rtp' && s.kind === 'audio') out.audioPackets += s.packetsReceived ?? 0;
    if (s.type === 'candidate-pair' && s.state === 'succeeded' && s.nominated) {
      const local = stats.get(s.localCandidateId);
      const remote = stats.get(s.remoteCandidateId);
      out.pair = `${local?.address}:${local?.port} -> ${remote?.address}:${remote?.port}`;
    }
  }
  return out;
}

/** Leave the call and the session. */
export async function hangUp() {
  state.pc?.close();
  if (state.publisher?.stream) await state.session.unpublish(state.publisher).catch(() => undefined);
  await state.session?.disconnect();
}
