/**
 * The one place the SDK talks HTTP: global fetch, a timeout, and errors as {@link ParleyApiError}.
 * @internal
 */
import { ParleyApiError } from './errors.js';

export interface HttpRequest {
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** Absolute URL. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly timeoutMs: number;
}

export interface HttpResponse {
  readonly status: number;
  /** Parsed JSON when the response says application/json and parses; otherwise undefined. */
  readonly json: unknown;
  readonly text: string;
}

const MAX_TEXT_IN_MESSAGE = 200;

function isJson(response: Response): boolean {
  return (response.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() === 'application/json';
}

/** The server's JSON `message`, or a description of the answer when it has none. */
function errorMessage(request: HttpRequest, response: HttpResponse): string {
  const body = response.json;
  if (typeof body === 'object' && body !== null && typeof (body as { message?: unknown }).message === 'string') {
    return (body as { message: string }).message;
  }
  const text = response.text.trim().slice(0, MAX_TEXT_IN_MESSAGE);
  return `${request.method} ${request.url} failed with HTTP ${response.status}${text === '' ? '' : `: ${text}`}`;
}

/** undici says only "fetch failed"; the reason (ECONNREFUSED …) is in its cause. */
function describeCause(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  const inner: unknown = cause.cause;
  return inner instanceof Error ? `${cause.message} (${inner.message})` : cause.message;
}

/**
 * Send a request; resolve with any 2xx answer, reject with {@link ParleyApiError} otherwise
 * (status 0 for a network error or a timeout).
 */
export async function send(request: HttpRequest): Promise<HttpResponse> {
  let response: Response;
  let text: string;
  try {
    response = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      ...(request.body !== undefined && { body: request.body }),
      signal: AbortSignal.timeout(request.timeoutMs),
    });
    text = await response.text();
  } catch (cause) {
    const timedOut = cause instanceof Error && cause.name === 'TimeoutError';
    const what = timedOut ? `timed out after ${request.timeoutMs} ms` : `failed: ${describeCause(cause)}`;
    throw new ParleyApiError(`${request.method} ${request.url} ${what}`, 0, { cause });
  }
  let json: unknown;
  if (isJson(response) && text !== '') {
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
  }
  const result: HttpResponse = { status: response.status, json, text };
  if (response.status < 200 || response.status > 299) {
    throw new ParleyApiError(errorMessage(request, result), response.status);
  }
  return result;
}
