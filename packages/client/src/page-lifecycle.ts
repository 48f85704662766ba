/**
 * Browser page lifecycle (https://developer.chrome.com/docs/web-platform/page-lifecycle-api).
 * A page that goes away (`pagehide`: closed, reloaded, navigated away from, or put in the
 * back/forward cache) leaves the session at once, so the others do not see a ghost for the whole
 * reconnect window. A frozen page cannot keep a socket: the session disconnects, as an iOS app does
 * when suspended. Coming back online or to the foreground is a good moment to retry a resume at
 * once, or to check that a connected socket is still alive.
 */

/** The part of `EventTarget` used here (a fake one is enough in tests). */
export interface EventTargetLike {
  addEventListener(type: string, listener: (event: Event) => void): void;
  removeEventListener(type: string, listener: (event: Event) => void): void;
}

/** Where page lifecycle events come from: `document` and `window` in a browser. */
export interface PageLifecycleEnv {
  readonly document: EventTargetLike & { readonly visibilityState?: string };
  readonly window: EventTargetLike;
}

/** What the session does on each kind of moment. */
export interface PageLifecycleHooks {
  /** The page is being frozen: disconnect. */
  readonly suspend: () => void;
  /**
   * The page is going away (`pagehide`, persisted or not): leave now, synchronously. Nothing
   * asynchronous is sure to run after a `pagehide` listener returns (the socket may be torn down).
   */
  readonly leave: () => void;
  /** The network or the page came back: retry a resume now, or check liveness now. */
  readonly wake: () => void;
}

/**
 * The browser's `document` and `window`, or null outside a browser.
 * @example const env = browserPageLifecycleEnv(); if (env) attachPageLifecycle(env, hooks);
 */
export function browserPageLifecycleEnv(): PageLifecycleEnv | null {
  const g = globalThis as { document?: PageLifecycleEnv['document']; window?: EventTargetLike };
  if (g.document === undefined || g.window === undefined) return null;
  if (typeof g.window.addEventListener !== 'function' || typeof g.document.addEventListener !== 'function') return null;
  return { document: g.document, window: g.window };
}

/**
 * Listen to `freeze`, `pagehide`, `online` and `visibilitychange`; returns a detach function.
 * `unload` and `beforeunload` are deliberately not used: listening to them keeps a page out of
 * the back/forward cache, and `pagehide` fires in every case they would (close, reload, navigation).
 * `offline` is deliberately ignored: the browser's guess is often wrong, and liveness decides.
 * @example
 * const detach = attachPageLifecycle({ document, window }, { suspend: () => {}, leave: () => {}, wake: () => {} });
 * detach();
 */
export function attachPageLifecycle(env: PageLifecycleEnv, hooks: PageLifecycleHooks): () => void {
  const onFreeze = (): void => {
    hooks.suspend();
  };
  const onPageHide = (): void => {
    hooks.leave();
  };
  const onOnline = (): void => {
    hooks.wake();
  };
  const onVisibility = (): void => {
    if (env.document.visibilityState === 'visible') hooks.wake();
  };
  env.document.addEventListener('freeze', onFreeze);
  env.window.addEventListener('pagehide', onPageHide);
  env.window.addEventListener('online', onOnline);
  env.document.addEventListener('visibilitychange', onVisibility);
  return () => {
    env.document.removeEventListener('freeze', onFreeze);
    env.window.removeEventListener('pagehide', onPageHide);
    env.window.removeEventListener('online', onOnline);
    env.document.removeEventListener('visibilitychange', onVisibility);
  };
}

/** {@link attachPageLifecycle} to the browser's page; null (nothing to detach) outside a browser. @internal */
export function watchBrowserPage(hooks: PageLifecycleHooks): (() => void) | null {
  const env = browserPageLifecycleEnv();
  return env === null ? null : attachPageLifecycle(env, hooks);
}
