/**
 * The project's one HTTP client: JSON over HTTP(S) with a real-time timeout. `requestJson` is the
 * plain call (status and parsed body; a venue room reads its own error bodies, as Binance's does);
 * `callJson` adds what the brokers' token and setup requests share: the server's own words in
 * every error (read by the provider's `errorReason`), and 400/401/403 as AUTH. Errors never carry
 * a token: only the request's name and the server's reason.
 *
 * node:http(s) with `agent: false` rather than fetch: one socket per request, closed with it, so a
 * stopped provider leaves no socket behind (fetch's global pool keeps idle sockets open for
 * seconds after the answer, which the redeploy tests would see as a leak). The calls are rare
 * (a token, a snapshot): a pool would save nothing that matters. Redirects are not followed.
 */
import http from 'node:http';
import https from 'node:https';
import { MarketError } from '../model/errors';

const REQUEST_TIMEOUT_MS = 15_000;

export interface JsonRequest {
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
}

export interface RequestOptions {
  /** Real-time bound on the whole call (connect to last byte); 15 s unless told. */
  timeoutMs?: number;
  /** Aborts the call (the provider is stopping). */
  signal?: AbortSignal;
}

export interface JsonAnswer {
  status: number;
  /** The answer's JSON, or undefined when the body is not JSON. */
  body: unknown;
}

/** The call got no answer: bad URL, refused, reset, timed out or aborted. `reason` says which, in a few words. */
export class HttpFailure extends Error {
  readonly reason: string;
  /** The URL itself was unusable (a configuration error, not a network one). */
  readonly badUrl: boolean;

  constructor(reason: string, badUrl = false) {
    super(reason);
    this.reason = reason;
    this.badUrl = badUrl;
  }
}

/** Calls `url` (Accept: application/json) and resolves with the status and JSON body; rejects only with HttpFailure. */
export function requestJson(url: string, request: JsonRequest, options: RequestOptions = {}): Promise<JsonAnswer> {
  const timeoutMs = options.timeoutMs ?? REQUEST_TIMEOUT_MS;
  return new Promise<JsonAnswer>((resolve, reject) => {
    const headers: Record<string, string> = { Accept: 'application/json', ...request.headers };
    if (request.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(request.body));
    let outgoing: http.ClientRequest;
    try {
      const client = new URL(url).protocol === 'https:' ? https : http;
      outgoing = client.request(url, { method: request.method, headers, agent: false, signal: options.signal });
    } catch (err) {
      reject(new HttpFailure(err instanceof Error ? err.message : String(err), true));
      return;
    }
    // A real-time timer: it bounds network I/O, which fake time in tests does not drive.
    const timer = setTimeout(() => outgoing.destroy(new HttpFailure(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
    let settled = false;
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(err instanceof HttpFailure ? err : new HttpFailure(options.signal?.aborted ? 'aborted' : err.message));
    };
    outgoing.on('error', fail);
    outgoing.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', fail);
      response.on('end', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ status: response.statusCode ?? 0, body: parseJson(Buffer.concat(chunks).toString('utf8')) });
      });
    });
    outgoing.end(request.body);
  });
}

export interface JsonService {
  /** Provider id, as in errors' `provider`. */
  provider: string;
  /** How the provider is named in a sentence ("Schwab"). */
  name: string;
  /** Headers on every call (e.g. a User-Agent the provider requires). */
  headers?: Record<string, string>;
  /** The reason in an error body, in the provider's format; null when there is none. */
  errorReason(body: Record<string, unknown> | null): string | null;
  /** Appended to the AUTH error: what the user should check. */
  refusedHint?: string;
}

/** Calls `url` and returns the JSON object it answers; `what` names the request in errors. */
export async function callJson(service: JsonService, url: string, request: JsonRequest, what: string): Promise<Record<string, unknown>> {
  const provider = service.provider;
  let answer: JsonAnswer;
  try {
    answer = await requestJson(url, { ...request, headers: { ...service.headers, ...request.headers } });
  } catch (err) {
    const reason = err instanceof HttpFailure ? err.reason : String(err);
    throw new MarketError('NETWORK', `${provider}: ${what} failed: ${reason}`, { provider, reason });
  }
  const body = isObject(answer.body) ? answer.body : null;
  if (answer.status >= 200 && answer.status < 300) {
    if (!body) throw restProtocolError(provider, `${what} answered with something that is not JSON`);
    return body;
  }
  const reason = service.errorReason(body) ?? `HTTP ${answer.status}`;
  if (answer.status === 400 || answer.status === 401 || answer.status === 403) {
    throw new MarketError('AUTH', `${service.name} refused ${what} (${reason})${service.refusedHint ? `: ${service.refusedHint}` : ''}`, { provider, reason });
  }
  throw new MarketError('NETWORK', `${provider}: ${what} failed (${reason})`, { provider, reason });
}

/** An answer that does not have what the protocol promises. */
export function restProtocolError(provider: string, message: string): MarketError {
  return new MarketError('PROTOCOL', `${provider}: ${message}`, { provider });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
