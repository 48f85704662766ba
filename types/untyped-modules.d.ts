/**
 * Just enough typing of the official `opentok@2.23.2` SDK (it ships none) for the REST tests.
 */
declare module 'opentok' {
  type Callback<T> = (err: Error | null, result?: T) => void;

  namespace OpenTok {
    interface SessionOptions {
      mediaMode?: 'relayed' | 'routed';
      archiveMode?: 'manual' | 'always';
      location?: string;
      e2ee?: boolean;
      archiveName?: string;
      archiveResolution?: string;
      [key: string]: unknown;
    }
    interface Session {
      sessionId: string;
      mediaMode?: string;
      archiveMode?: string;
      generateToken(opts?: Record<string, unknown>): string;
    }
    interface Stream {
      id: string;
      name?: string;
      videoType?: string;
      layoutClassList?: string[];
    }
  }

  class OpenTok {
    constructor(apiKey: string | number, apiSecret: string, env?: string | { apiUrl?: string });
    readonly apiUrl: string;
    createSession(cb: Callback<OpenTok.Session>): void;
    createSession(opts: OpenTok.SessionOptions, cb: Callback<OpenTok.Session>): void;
    generateToken(sessionId: string, opts?: Record<string, unknown>, t1?: boolean): string;
    signal(
      sessionId: string,
      connectionId: string | null,
      payload: { type?: string; data?: string },
      cb: Callback<void>,
    ): void;
    forceDisconnect(sessionId: string, connectionId: string, cb: Callback<void>): void;
    listStreams(sessionId: string, cb: Callback<OpenTok.Stream[]>): void;
    getStream(sessionId: string, streamId: string, cb: Callback<OpenTok.Stream>): void;
    setStreamClassLists(
      sessionId: string,
      items: { id: string; layoutClassList: string[] }[],
      cb: Callback<unknown>,
    ): void;
    forceMuteStream(sessionId: string, streamId: string, cb: Callback<void>): void;
    forceMuteAll(sessionId: string, opts: Record<string, unknown>, cb: Callback<void>): void;
    disableForceMute(sessionId: string, cb: Callback<void>): void;
    startArchive(sessionId: string, opts: Record<string, unknown>, cb: Callback<unknown>): void;
    listArchives(opts: Record<string, unknown>, cb: Callback<unknown[]>): void;
    startBroadcast(sessionId: string, opts: Record<string, unknown>, cb: Callback<unknown>): void;
    dial(sessionId: string, token: string, sipUri: string, opts: Record<string, unknown>, cb: Callback<unknown>): void;
    listCallbacks(cb: Callback<unknown[]>): void;
  }

  // CommonJS `module.exports = OpenTok`; an ESM default import receives exactly that.
  export default OpenTok;
}

/** jsonwebtoken@9 (a dependency of opentok), used to craft REST JWTs the SDK would never send. */
declare module 'jsonwebtoken' {
  const jwt: {
    sign(payload: Record<string, unknown>, secret: string, options?: Record<string, unknown>): string;
  };
  export default jwt;
}
