/**
 * tastytrade REST calls the streamer needs (protocol doc dxlink-tastytrade.md §2): the OAuth
 * refresh grant and the DXLink quote token. Errors say what the server said, never a token.
 */
import { MarketError } from '../../model/errors';
import type { Clock } from '../../session/clock';

export const TASTYTRADE_REST = { live: 'https://api.tastyworks.com', sandbox: 'https://api.cert.tastyworks.com' } as const;
/** tastytrade's docs require a User-Agent of the form <product>/<version> on REST calls. */
const USER_AGENT = 'market-stream-node-red/0.1';
const REQUEST_TIMEOUT_MS = 15_000;
/** Access tokens last 15 minutes when the response does not say (§2.1). */
const DEFAULT_ACCESS_LIFETIME_S = 900;
/** Quote tokens last 24 hours (§2.2). */
const QUOTE_TOKEN_LIFETIME_MS = 24 * 3_600_000;

export interface AccessToken {
  token: string;
  expiresAt: number;
}

export interface QuoteToken {
  token: string;
  dxlinkUrl: string;
  expiresAt: number;
}

/** POST /oauth/token with the refresh grant: JSON body, no Authorization header. */
export async function requestAccessToken(base: string, clientSecret: string, refreshToken: string, clock: Clock): Promise<AccessToken> {
  const body = await callJson(`${base}/oauth/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ grant_type: 'refresh_token', client_secret: clientSecret, refresh_token: refreshToken }),
  }, 'the OAuth token request');
  const token = body.access_token;
  if (typeof token !== 'string' || !token) throw protocolError('the OAuth answer has no access_token');
  const lifetimeS = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : DEFAULT_ACCESS_LIFETIME_S;
  return { token, expiresAt: clock.now() + lifetimeS * 1000 };
}

/** GET /api-quote-tokens with the access token: the DXLink token and URL. */
export async function requestQuoteToken(base: string, accessToken: string, clock: Clock): Promise<QuoteToken> {
  const body = await callJson(`${base}/api-quote-tokens`, { method: 'GET', headers: { Authorization: `Bearer ${accessToken}` } }, 'the quote token request');
  const data = body.data as Record<string, unknown> | undefined;
  const token = data?.token;
  const dxlinkUrl = data?.['dxlink-url'];
  if (typeof token !== 'string' || !token || typeof dxlinkUrl !== 'string' || !dxlinkUrl) throw protocolError('the quote token answer has no token or dxlink-url');
  const expiresAt = typeof data?.['expires-at'] === 'string' ? Date.parse(data['expires-at']) : NaN;
  return { token, dxlinkUrl, expiresAt: Number.isFinite(expiresAt) ? expiresAt : clock.now() + QUOTE_TOKEN_LIFETIME_MS };
}

async function callJson(url: string, init: { method: string; headers: Record<string, string>; body?: string }, what: string): Promise<Record<string, unknown>> {
  // A real-time timeout: it bounds network I/O, which fake time in tests does not drive.
  const signal = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, { ...init, headers: { Accept: 'application/json', 'User-Agent': USER_AGENT, ...init.headers }, signal });
    text = await response.text();
  } catch (err) {
    const reason = signal.aborted ? `no answer within ${REQUEST_TIMEOUT_MS / 1000} s` : err instanceof Error ? err.message : String(err);
    throw new MarketError('NETWORK', `tastytrade: ${what} failed: ${reason}`, { provider: 'tastytrade', reason });
  }
  const body = parseObject(text);
  if (response.ok) {
    if (!body) throw protocolError(`${what} answered with something that is not JSON`);
    return body;
  }
  const reason = errorReason(body) ?? `HTTP ${response.status}`;
  if (response.status === 400 || response.status === 401 || response.status === 403) {
    throw new MarketError('AUTH', `tastytrade refused ${what} (${reason}): check the client secret and refresh token of the tastytrade OAuth application`, { provider: 'tastytrade', reason });
  }
  throw new MarketError('NETWORK', `tastytrade: ${what} failed (${reason})`, { provider: 'tastytrade', reason });
}

/** `{"error":{"code","message"}}`, `{"error":{"errors":[...]}}` (§2.1) or OAuth's `{"error","error_description"}`. */
function errorReason(body: Record<string, unknown> | null): string | null {
  if (!body) return null;
  const error = body.error;
  if (typeof error === 'string') return typeof body.error_description === 'string' ? `${error}: ${body.error_description}` : error;
  if (error && typeof error === 'object') {
    const { code, message, errors } = error as { code?: unknown; message?: unknown; errors?: unknown };
    if (typeof message === 'string') return typeof code === 'string' ? `${code}: ${message}` : message;
    if (Array.isArray(errors) && errors.length > 0) return errors.map((item: { message?: unknown }) => String(item?.message ?? '')).join('; ');
  }
  return null;
}

function parseObject(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function protocolError(message: string): MarketError {
  return new MarketError('PROTOCOL', `tastytrade: ${message}`, { provider: 'tastytrade' });
}
