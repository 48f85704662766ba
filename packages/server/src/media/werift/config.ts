/**
 * werift peer-connection settings of the forwarder: VP8 and Opus only, no RTP header extensions
 * (so nothing has to be rewritten per subscriber), and ICE pinned to one address.
 */
import { RTCRtpCodecParameters, useFIR, useNACK, usePLI, type PeerConfig } from 'werift';

/** Dynamic payload types the forwarder offers to subscribers. */
export const VP8_PT = 96;
export const OPUS_PT = 111;

/**
 * The peer-connection configuration for a forwarder bound to `address` (an IPv4 address). The
 * forwarder is ICE-lite (like mediasoup): it only answers connectivity checks, and it never
 * queries a STUN server (werift's full agent would ask stun.l.google.com when given none).
 * `lite: false` is for the synthetic client peers of tests and the bench.
 */
export function peerConfig(address: string, lite = true): Partial<PeerConfig> {
  return {
    iceLite: lite,
    codecs: {
      audio: [
        new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48000, channels: 2, payloadType: OPUS_PT }),
      ],
      video: [
        new RTCRtpCodecParameters({
          mimeType: 'video/VP8',
          clockRate: 90000,
          payloadType: VP8_PT,
          rtcpFeedback: [useNACK(), usePLI(), useFIR()],
        }),
      ],
    },
    headerExtensions: { audio: [], video: [] },
    iceServers: [],
    iceUseIpv6: false,
    iceAdditionalHostAddresses: [address],
    iceInterfaceAddresses: { udp4: address },
    iceFilterCandidatePair: (pair) => pair.localCandidate.host === address,
    bundlePolicy: 'max-bundle',
  };
}

/** Keeps only the ICE candidates on `address` (werift also gathers the machine's other ones). */
export function onlyCandidatesOn(sdp: string, address: string): string {
  const needle = ` ${address} `;
  return sdp
    .split('\r\n')
    .filter((l) => !l.startsWith('a=candidate:') || l.includes(needle))
    .join('\r\n');
}
