/**
 * Parent↔child request/response over the IPC channel of node:child_process.fork.
 * Every child the harness starts is tracked here and killed on exit, failure or signal.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

interface Request {
  rpc: 'req';
  id: number;
  method: string;
  args: unknown;
}
interface Response {
  rpc: 'res';
  id: number;
  ok: boolean;
  value?: unknown;
  error?: string;
}

const children = new Set<ChildProcess>();
let cleanupInstalled = false;

function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  const killAll = (): void => {
    for (const c of children) {
      if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    }
  };
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      killAll();
      process.exit(130);
    });
  }
}

export interface ForkOptions {
  execArgv?: string[];
  args?: string[];
  name: string;
}

/** A forked worker that answers `call(method, args)`. */
export class Worker {
  readonly child: ChildProcess;
  readonly name: string;
  private nextId = 1;
  private pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; method: string }>();
  private exited: Promise<number | null>;
  private readyResolve!: (v: unknown) => void;
  readonly ready: Promise<unknown>;

  constructor(file: URL, opts: ForkOptions) {
    installCleanup();
    this.name = opts.name;
    this.ready = new Promise((r) => (this.readyResolve = r));
    this.child = fork(fileURLToPath(file), opts.args ?? [], {
      execArgv: opts.execArgv ?? [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    children.add(this.child);
    this.child.on('message', (m: Response | { rpc: 'ready'; value: unknown }) => {
      if (m.rpc === 'ready') {
        this.readyResolve(m.value);
        return;
      }
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.value);
      else p.reject(new Error(`${this.name}.${p.method}: ${m.error}`));
    });
    this.exited = new Promise((r) =>
      this.child.on('exit', (code, signal) => {
        children.delete(this.child);
        for (const p of this.pending.values())
          p.reject(new Error(`${this.name} exited (${code ?? signal}) during ${p.method}`));
        this.pending.clear();
        r(code);
      }),
    );
  }

  call<T = unknown>(method: string, args: unknown = {}, timeoutMs = 120_000): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.name}.${method}: no answer after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        method,
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      const req: Request = { rpc: 'req', id, method, args };
      this.child.send(req);
    });
  }

  /** Ask the worker to exit; kill it if it does not within `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    try {
      this.child.send({ rpc: 'req', id: 0, method: '__exit', args: {} });
    } catch {
      /* channel already closed */
    }
    const t = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(t);
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each handler declares its own argument type; the IPC boundary is untyped
export type Handlers = Record<string, (args: any) => unknown>;

/** Child side: answer requests with `handlers`; `__exit` runs `onExit` then exits. */
export function serve(handlers: Handlers, onExit?: () => Promise<void> | void): void {
  if (!process.send) throw new Error('not started with an IPC channel');
  process.on('disconnect', () => process.exit(0)); // parent died: never linger
  const answer = async (m: Request): Promise<void> => {
    if (m.method === '__exit') {
      try {
        await onExit?.();
      } finally {
        process.exit(0);
      }
    }
    const h = handlers[m.method];
    let res: Response;
    try {
      if (!h) throw new Error(`unknown method ${m.method}`);
      res = { rpc: 'res', id: m.id, ok: true, value: await h(m.args) };
    } catch (e) {
      res = { rpc: 'res', id: m.id, ok: false, error: e instanceof Error ? (e.stack ?? e.message) : String(e) };
    }
    process.send?.(res);
  };
  process.on('message', (m: unknown) => {
    if (typeof m === 'object' && m !== null && (m as Partial<Request>).rpc === 'req') void answer(m as Request);
  });
}

export function signalReady(value: unknown): void {
  process.send?.({ rpc: 'ready', value });
}
