/**
 * tastytrade REST calls the streamer needs (docs/protocols/dxlink-tastytrade.md §2): the OAuth
 * refresh grant and the DXLink quote token. Errors say what the server said, never a token.
 */
import type { MarketError } from '../../model/errors';
import { callJson as callService, restProtocolError, type JsonRequest, type JsonService } from '../../transport/http-json';
import type { Clock } from '../../model/clock';

export const TASTYTRADE_REST = { live: 'https://api.tastyworks.com', sandbox: 'https://api.cert.tastyworks.com' } as const;
/** tastytrade's docs require a User-Agent of the form <product>/<version> on REST calls. */
const USER_AGENT = 'market-stream-node-red/0.1';
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

const SERVICE: JsonService = {
  provider: 'tastytrade',
  name: 'tastytrade',
  headers: { 'User-Agent': USER_AGENT },
  errorReason,
  refusedHint: 'check the client secret and refresh token of the tastytrade OAuth application',
};

function callJson(url: string, request: JsonRequest, what: string): Promise<Record<string, unknown>> {
  return callService(SERVICE, url, request, what);
}

function protocolError(message: string): MarketError {
  return restProtocolError('tastytrade', message);
}
