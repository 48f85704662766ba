/**
 * What the browser page's lifecycle does to a Session (page-lifecycle.ts says when): a frozen page
 * disconnects, a page going away leaves at once, a page that comes back retries a resume or checks
 * liveness now. The Session stays the one owner of its state: this only calls its `disconnect()`
 * and its ending funnel `end()`.
 */
import { CLIENT_DISCONNECTED, connectFailed, type Ending } from './ending.js';
import type { Link } from './link.js';
import { watchBrowserPage } from './page-lifecycle.js';
import type { Reconnection } from './reconnection.js';
import { SessionConnectionStatus as Status } from './types.js';

/** What the page's lifecycle may reach of a Session. @internal */
export interface PageHost {
  readonly link: Link;
  status(): Status;
  reconnect(): Reconnection | null;
  disconnect(): Promise<void>;
  /** The Session's ending funnel. */
  end(ending: Ending): void;
}

/** Watch the browser page for the session (outside a browser: null, nothing to watch). @internal */
export function watchSessionPage(host: PageHost): (() => void) | null {
  return watchBrowserPage({
    suspend: () => void host.disconnect(),
    leave: () => {
      leavePage(host);
    },
    wake: () => {
      wake(host);
    },
  });
}

/** The page came back (online, visible): retry a resume now, or check liveness now. */
function wake(host: PageHost): void {
  if (host.status() === Status.Reconnecting && !host.link.isOpen) {
    host.link.cancelWait();
    host.reconnect()?.open();
  } else if (host.status() === Status.Connected) {
    host.link.checkLiveness();
  }
}

/**
 * The page is going away (`pagehide`: closed, reloaded, navigated away, or put in the
 * back/forward cache). No timer or socket event may run after this, so leave now, in this call:
 * `bye` goes out before the transport closes (closing flushes what is queued), and the session
 * ends with clientDisconnected without waiting for the server's answer. The server destroys the
 * connection on `bye` and tells the others clientDisconnected at once; a browser's own 1001 close
 * on unload says the same to a server that reads it (PROTOCOL.md §Leaving). Reconnecting, there is
 * no open connection to say it on: the server keeps the connection until its window runs out.
 */
function leavePage(host: PageHost): void {
  switch (host.status()) {
    case Status.Connected:
      host.link.send({ t: 'bye' });
      host.end(CLIENT_DISCONNECTED);
      return;
    case Status.Disconnecting:
    case Status.Reconnecting:
      host.end(CLIENT_DISCONNECTED);
      return;
    case Status.Connecting:
      host.end(connectFailed(null));
      return;
    case Status.NotConnected:
    case Status.Failed:
      return;
  }
}
