/**
 * A Map-backed {@link Store} for handler-tier tests: no SQLite, no files, same contract.
 */
import type { Project, SessionRecord, Store } from '../../src/store/store.js';
import { revocationMatches, type Revocation, type TokenHolder } from '../../src/tokens/revocation.js';

/** In-memory Store. `sessions` and `projects` are exposed so tests can inspect what was written. */
export class MemoryStore implements Store {
  readonly projects = new Map<string, Project>();
  readonly sessions = new Map<string, SessionRecord>();
  revocations: Revocation[] = [];
  closed = false;

  getProject(apiKey: string): Promise<Project | undefined> {
    return Promise.resolve(this.projects.get(apiKey));
  }

  listProjects(): Promise<Project[]> {
    return Promise.resolve([...this.projects.values()]);
  }

  putProject(project: Project): Promise<void> {
    this.projects.set(project.apiKey, project);
    return Promise.resolve();
  }

  createSession(session: SessionRecord): Promise<void> {
    if (this.sessions.has(session.sessionId))
      return Promise.reject(new Error(`duplicate session ${session.sessionId}`));
    this.sessions.set(session.sessionId, session);
    return Promise.resolve();
  }

  getSession(sessionId: string): Promise<SessionRecord | undefined> {
    return Promise.resolve(this.sessions.get(sessionId));
  }

  putRevocation(rule: Revocation, nowSeconds: number): Promise<void> {
    this.revocations = this.revocations.filter(
      (r) => r.expiresAt > nowSeconds && !(r.apiKey === rule.apiKey && r.kind === rule.kind && r.value === rule.value),
    );
    this.revocations.push(rule);
    return Promise.resolve();
  }

  findRevocation(holder: TokenHolder, nowSeconds: number): Promise<Revocation | undefined> {
    return Promise.resolve(this.revocations.find((r) => revocationMatches(r, holder, nowSeconds)));
  }

  listRevocations(sinceSeconds: number, nowSeconds: number): Promise<Revocation[]> {
    return Promise.resolve(this.revocations.filter((r) => r.revokedAt >= sinceSeconds && r.expiresAt > nowSeconds));
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}
