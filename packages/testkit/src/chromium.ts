/**
 * Real headless Chromium for the browser tier, driven by `playwright-core`.
 *
 * Why not `chromium.launch()`: Playwright turns on DevTools focus emulation for every page it
 * creates in a context of its own, and focus emulation counts as a "capturer" that keeps the page
 * visible, so `Page.setWebLifecycleState {state: 'frozen'}` can no longer hide and freeze it (no
 * `visibilitychange`, no `freeze`: the suspension test would test nothing). So we start the
 * browser ourselves, with a fresh profile directory, and attach with
 * `connectOverCDP(..., { noDefaults: true })`, which leaves the default context's pages alone.
 *
 * ```
 *  spawn /usr/bin/chromium --headless --remote-debugging-port=0 --user-data-dir=<mkdtemp>
 *     └─ stderr: "DevTools listening on ws://127.0.0.1:PORT/devtools/browser/ID"
 *  chromium.connectOverCDP(that URL, { noDefaults: true }) → browser.contexts()[0]
 *  close(): disconnect, SIGTERM (SIGKILL after 5 s), rm -rf the profile
 * ```
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { assertLoopbackOnly } from './loopback-namespace.js';
import { waitFor } from './wait-for.js';

/** Where Debian's `chromium` package installs the browser. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** The flags the browser tier runs with (plus `--user-data-dir` and `--remote-debugging-port`). */
export const CHROMIUM_FLAGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--no-default-browser-check',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/**
 * The flags that let pages carry WebRTC media (with `media: true`): the fake camera and
 * microphone, granted without a prompt; 127.0.0.1 host candidates (Chromium leaves loopback out
 * otherwise), under their address rather than an mDNS `.local` name. Only inside a loopback-only
 * network namespace (loopback-namespace.ts): {@link launchChromium} checks.
 */
export const CHROMIUM_MEDIA_FLAGS: readonly string[] = [
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--allow-loopback-in-peer-connection',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
  '--autoplay-policy=no-user-gesture-required',
];

/** Options of {@link launchChromium}. */
export interface LaunchChromiumOptions {
  /** The browser binary. @default CHROMIUM_PATH, or the CHROMIUM_PATH environment variable */
  executablePath?: string;
  /** Extra flags, after {@link CHROMIUM_FLAGS}. @default [] */
  args?: readonly string[];
  /**
   * Pages may carry WebRTC media: adds {@link CHROMIUM_MEDIA_FLAGS}, and refuses to start outside
   * a loopback-only network namespace (the network rule for media). @default false
   */
  media?: boolean;
  /** How long the browser may take to start (ms). @default 20000 */
  timeoutMs?: number;
}

/** A running browser: its default context, a way to open pages, and `close()` that cleans up everything. */
export interface LaunchedChromium {
  readonly browser: Browser;
  /** The default context (the one without Playwright's focus emulation; see the module comment). */
  readonly context: BrowserContext;
  /** The profile directory (removed by `close()`). */
  readonly userDataDir: string;
  /** A new tab in the default context. */
  newPage(): Promise<Page>;
  /** Disconnect, stop the browser, remove the profile. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Start headless Chromium with a fresh profile and attach Playwright to it.
 * @example
 * const chrome = await launchChromium();
 * try {
 *   const page = await chrome.newPage();
 *   await page.goto(url);
 *   const cdp = await page.context().newCDPSession(page);
 *   await cdp.send('Page.setWebLifecycleState', { state: 'frozen' }); // fires visibilitychange + freeze
 * } finally {
 *   await chrome.close();
 * }
 */
export async function launchChromium(options: LaunchChromiumOptions = {}): Promise<LaunchedChromium> {
  const executablePath = options.executablePath ?? process.env.CHROMIUM_PATH ?? CHROMIUM_PATH;
  const timeoutMs = options.timeoutMs ?? 20_000;
  if (options.media === true) assertLoopbackOnly('a Chromium launched with media: true');
  const userDataDir = await mkdtemp(join(tmpdir(), 'parley-chromium-'));
  const proc = spawn(
    executablePath,
    [
      ...CHROMIUM_FLAGS,
      ...(options.media === true ? CHROMIUM_MEDIA_FLAGS : []),
      ...(options.args ?? []),
      `--user-data-dir=${userDataDir}`,
      '--remote-debugging-port=0',
      'about:blank',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  let closed: Promise<void> | undefined;
  const exited = new Promise<void>((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) resolve();
    else
      proc.once('exit', () => {
        resolve();
      });
  });
  const cleanup = async (): Promise<void> => {
    await stop(proc, exited);
    await rm(userDataDir, { recursive: true, force: true, maxRetries: 3 });
  };
  try {
    const endpoint = await waitFor<string>(
      (resolve, reject) => {
        const onData = (chunk: Buffer): void => {
          stderr += chunk.toString();
          const match = /DevTools listening on (ws:\/\/\S+)/.exec(stderr);
          if (match?.[1] !== undefined) resolve(match[1]);
        };
        const onExit = (code: number | null, signal: string | null): void => {
          reject(new Error(`chromium exited (${code ?? signal}) before DevTools listened:\n${stderr.slice(-2000)}`));
        };
        const onError = (error: Error): void => {
          reject(new Error(`cannot start ${executablePath}: ${error.message}`, { cause: error }));
        };
        proc.stderr.on('data', onData);
        proc.once('exit', onExit);
        proc.once('error', onError);
        return () => {
          proc.stderr.off('data', onData);
          proc.off('exit', onExit);
          proc.off('error', onError);
        };
      },
      timeoutMs,
      () => `chromium (${executablePath}) to print its DevTools endpoint; stderr so far:\n${stderr.slice(-2000)}`,
    );
    // Keep draining stderr so the browser never blocks on a full pipe.
    proc.stderr.resume();
    const browser = await chromium.connectOverCDP(endpoint, { noDefaults: true, isLocal: true, timeout: timeoutMs });
    const context = browser.contexts()[0];
    if (context === undefined) throw new Error('chromium has no default browser context');
    return {
      browser,
      context,
      userDataDir,
      newPage: () => context.newPage(),
      close: () =>
        (closed ??= (async () => {
          await browser.close().catch(() => undefined);
          await cleanup();
        })()),
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/** SIGTERM, then SIGKILL if the browser has not exited after 5 s. */
async function stop(proc: ChildProcess, exited: Promise<void>): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  proc.kill('SIGTERM');
  let timer: ReturnType<typeof setTimeout> | undefined;
  const killed = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      proc.kill('SIGKILL');
      resolve();
    }, 5_000);
  });
  await Promise.race([exited, killed]);
  clearTimeout(timer);
  await exited;
}
