/**
 * The small messages between the signalling thread and the forwarder worker. Requests carry an
 * id; the worker answers each with exactly one reply, and sends events on its own.
 */
import type {
  CandidateInit,
  ForwarderErrorReason,
  ForwarderEvent,
  ForwarderOptions,
  ForwarderStats,
  PublishResult,
  SubscribeResult,
} from './types.js';

/** A request to the worker. */
export type WorkerRequest =
  | { readonly op: 'createRouter'; readonly routerId: string }
  | { readonly op: 'publish'; readonly routerId: string; readonly transportId: string; readonly offer: string }
  | {
      readonly op: 'subscribe';
      readonly routerId: string;
      readonly transportId: string;
      readonly producerIds: readonly string[];
      readonly offer: string;
    }
  | { readonly op: 'renegotiate'; readonly transportId: string; readonly offer: string }
  | { readonly op: 'candidate'; readonly transportId: string; readonly candidate: CandidateInit }
  | { readonly op: 'requestKeyFrame'; readonly transportId: string }
  | { readonly op: 'closeRouter'; readonly routerId: string }
  | { readonly op: 'closeTransport'; readonly transportId: string }
  | { readonly op: 'closeProducer'; readonly producerId: string }
  | { readonly op: 'closeConsumer'; readonly consumerId: string }
  | { readonly op: 'stats' }
  | { readonly op: 'crash' };

/** The result type of each request. */
export interface WorkerResults {
  createRouter: undefined;
  publish: PublishResult;
  subscribe: SubscribeResult;
  renegotiate: string;
  candidate: undefined;
  requestKeyFrame: undefined;
  closeRouter: undefined;
  closeTransport: undefined;
  closeProducer: undefined;
  closeConsumer: undefined;
  stats: ForwarderStats;
  crash: undefined;
}

/** Main → worker. */
export type ToWorker = { readonly id: number; readonly req: WorkerRequest };

/** Worker → main. */
export type FromWorker =
  | { readonly kind: 'reply'; readonly id: number; readonly result: unknown }
  | { readonly kind: 'error'; readonly id: number; readonly reason: ForwarderErrorReason; readonly message: string }
  | { readonly kind: 'event'; readonly event: ForwarderEvent };

/** `workerData` of the forwarder worker. */
export type WorkerData = ForwarderOptions;
