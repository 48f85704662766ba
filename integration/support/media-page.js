// In-page helpers of the media tier (served as /media-page.js beside the client bundle; plain JS:
// it runs in Chromium): publishing and subscribing through the SDK's public API, and what a test
// reads back from a page: decoded frames, the video's size, audio packets, the candidate pair.
import { Publisher, Session } from '/parley.browser.js';

const state = {
  session: null,
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
export async function received(pc = state.subscriber?.peerConnection ?? null, video = state.video) {
  const out = {
    framesDecoded: 0,
    videoWidth: video?.videoWidth ?? 0,
    videoHeight: video?.videoHeight ?? 0,
    framesShown: video?.getVideoPlaybackQuality().totalVideoFrames ?? 0,
    audioPackets: 0,
    firstFrameMs: state.firstFrameMs,
    errors: state.errors,
    mediaMode: state.session?.mediaMode ?? null,
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

/** Unpublish and leave the session. */
export async function hangUp() {
  if (state.publisher?.stream) await state.session.unpublish(state.publisher).catch(() => undefined);
  await state.session?.disconnect();
}
