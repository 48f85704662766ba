/**
 * Persistent state: projects (API key + secret) and sessions. The embedded default is SQLite
 * (`sqlite-store.ts`); a Redis-backed store can implement the same interface for cluster mode.
 * Methods are async so a networked store fits without changing callers.
 */

export interface Project {
  readonly apiKey: string;
  readonly apiSecret: string;
  /** ms since epoch */
  readonly createdAt: number;
}

export type MediaMode = 'routed' | 'relayed';
export type ArchiveMode = 'manual' | 'always';

export interface SessionRecord {
  readonly sessionId: string;
  readonly apiKey: string;
  readonly mediaMode: MediaMode;
  readonly archiveMode: ArchiveMode;
  /** IPv4 location hint, '' when none. */
  readonly location: string;
  readonly e2ee: boolean;
  /** ms since epoch */
  readonly createdAt: number;
}

import type { Revocation, TokenHolder } from '../tokens/revocation.js';

export interface Store {
  getProject(apiKey: string): Promise<Project | undefined>;
  listProjects(): Promise<Project[]>;
  /** Insert, or replace the secret of, a project. */
  putProject(project: Project): Promise<void>;
  createSession(session: SessionRecord): Promise<void>;
  getSession(sessionId: string): Promise<SessionRecord | undefined>;
  /**
   * Save a revocation rule (the same project, kind and value again: the later `revokedAt` and
   * `expiresAt` win) and prune the rules that expired before `nowSeconds`.
   */
  putRevocation(rule: Revocation, nowSeconds: number): Promise<void>;
  /** A rule refusing `holder` at `nowSeconds` (tokens/revocation.ts `revocationMatches`), or undefined. */
  findRevocation(holder: TokenHolder, nowSeconds: number): Promise<Revocation | undefined>;
  /** The unexpired rules with `revokedAt >= sinceSeconds` (what other nodes added lately). */
  listRevocations(sinceSeconds: number, nowSeconds: number): Promise<Revocation[]>;
  close(): Promise<void>;
}
