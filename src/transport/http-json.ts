/**
 * The JSON-over-HTTPS call the brokers' token and setup requests share: a real-time timeout,
 * the server's own words in every error (read by the provider's `errorReason`), and 400/401/403
 * as AUTH. Errors never carry a token: only the request's name and the server's reason.
 */
import { MarketError } from '../model/errors';

const REQUEST_TIMEOUT_MS = 15_000;

export interface JsonRequest {
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
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
  // A real-time timeout: it bounds network I/O, which fake time in tests does not drive.
  const signal = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, { ...request, headers: { Accept: 'application/json', ...service.headers, ...request.headers }, signal });
    text = await response.text();
  } catch (err) {
    const reason = signal.aborted ? `no answer within ${REQUEST_TIMEOUT_MS / 1000} s` : err instanceof Error ? err.message : String(err);
    throw new MarketError('NETWORK', `${provider}: ${what} failed: ${reason}`, { provider, reason });
  }
  const body = parseObject(text);
  if (response.ok) {
    if (!body) throw restProtocolError(provider, `${what} answered with something that is not JSON`);
    return body;
  }
  const reason = service.errorReason(body) ?? `HTTP ${response.status}`;
  if (response.status === 400 || response.status === 401 || response.status === 403) {
    throw new MarketError('AUTH', `${service.name} refused ${what} (${reason})${service.refusedHint ? `: ${service.refusedHint}` : ''}`, { provider, reason });
  }
  throw new MarketError('NETWORK', `${provider}: ${what} failed (${reason})`, { provider, reason });
}

/** An answer that does not have what the protocol promises. */
export function restProtocolError(provider: string, message: string): MarketError {
  return new MarketError('PROTOCOL', `${provider}: ${message}`, { provider });
}

function parseObject(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
