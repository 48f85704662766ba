/**
 * A Map-backed {@link Store} for handler-tier tests: no SQLite, no files, same contract.
 */
import type { Project, SessionRecord, Store } from '../../src/store/store.js';

/** In-memory Store. `sessions` and `projects` are exposed so tests can inspect what was written. */
export class MemoryStore implements Store {
  readonly projects = new Map<string, Project>();
  readonly sessions = new Map<string, SessionRecord>();
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

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}
