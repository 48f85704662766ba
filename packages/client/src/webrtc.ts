/// <reference lib="dom" preserve="true" />
/**
 * The WebRTC implementation streams use, injected like the WebSocket: a browser's own by default,
 * `@roamhq/wrtc` (or another) in Node through `SessionOptions.webrtc`. The public types name the
 * DOM's WebRTC types; the preserved `lib="dom"` reference carries them into the declarations, so
 * a Node app compiles without adding the DOM lib itself.
 */

/**
 * The WebRTC constructors the client needs.
 * @example
 * import wrtc from '@roamhq/wrtc';
 * new Session(apiKey, sessionId, undefined, { url, webrtc: wrtc });
 */
export interface WebRtc {
  readonly RTCPeerConnection: new (configuration?: RTCConfiguration) => RTCPeerConnection;
  /** Used to hand a subscriber its remote tracks as one MediaStream. @default `globalThis.MediaStream` */
  readonly MediaStream?: new (tracks?: MediaStreamTrack[]) => MediaStream;
  /** Used by `session.publish()` for a Publisher given no tracks. @default `navigator.mediaDevices.getUserMedia` */
  readonly getUserMedia?: (constraints: MediaStreamConstraints) => Promise<MediaStream>;
}

/** The environment's WebRTC (a browser's), or undefined (Node without `webrtc`). @internal */
export function defaultWebRtc(): WebRtc | undefined {
  const g = globalThis as {
    RTCPeerConnection?: WebRtc['RTCPeerConnection'];
    MediaStream?: WebRtc['MediaStream'];
    navigator?: { mediaDevices?: { getUserMedia?: WebRtc['getUserMedia'] } };
  };
  if (typeof g.RTCPeerConnection !== 'function') return undefined;
  const devices = g.navigator?.mediaDevices;
  return {
    RTCPeerConnection: g.RTCPeerConnection,
    ...(g.MediaStream !== undefined && { MediaStream: g.MediaStream }),
    ...(devices?.getUserMedia !== undefined && {
      getUserMedia: (c: MediaStreamConstraints) =>
        (devices.getUserMedia as NonNullable<WebRtc['getUserMedia']>).call(devices, c),
    }),
  };
}
