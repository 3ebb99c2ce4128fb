/**
 * Schwab REST calls the streamer needs (docs/protocols/schwab.md §1): the OAuth refresh grant and
 * the user preferences that carry the streamer URL and ids. Errors carry Schwab's words, never
 * a token.
 */
import type { MarketError } from '../../model/errors';
import { callJson as callService, restProtocolError, type JsonRequest, type JsonService } from '../../transport/http-json';
import type { Clock } from '../../model/clock';

export const SCHWAB_REST = 'https://api.schwabapi.com';
/** Access tokens last 30 minutes (`expires_in: 1800`). */
const DEFAULT_ACCESS_LIFETIME_S = 1_800;

export interface SchwabAccessToken {
  token: string;
  expiresAt: number;
}

export interface StreamerInfo {
  streamerSocketUrl: string;
  schwabClientCustomerId: string;
  schwabClientCorrelId: string;
  schwabClientChannel: string;
  schwabClientFunctionId: string;
}

/** POST /v1/oauth/token, Basic client credentials, form body with the refresh grant. */
export async function requestSchwabAccessToken(base: string, clientId: string, clientSecret: string, refreshToken: string, clock: Clock): Promise<SchwabAccessToken> {
  const body = await callJson(`${base}/v1/oauth/token`, {
    method: 'POST',
    headers: {
      Authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
      'Content-Type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }).toString(),
  }, 'the token refresh');
  const token = body.access_token;
  if (typeof token !== 'string' || !token) throw protocolError('the token answer has no access_token');
  const lifetimeS = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : DEFAULT_ACCESS_LIFETIME_S;
  return { token, expiresAt: clock.now() + lifetimeS * 1000 };
}

/** GET /trader/v1/userPreference: streamerInfo[0] has the socket URL and the ids LOGIN needs. */
export async function requestStreamerInfo(base: string, accessToken: string): Promise<StreamerInfo> {
  const body = await callJson(`${base}/trader/v1/userPreference`, { method: 'GET', headers: { Authorization: `Bearer ${accessToken}` } }, 'the user preference request');
  const info = Array.isArray(body.streamerInfo) ? (body.streamerInfo[0] as Record<string, unknown> | undefined) : undefined;
  const fields = ['streamerSocketUrl', 'schwabClientCustomerId', 'schwabClientCorrelId', 'schwabClientChannel', 'schwabClientFunctionId'] as const;
  const missing = fields.filter((name) => typeof info?.[name] !== 'string' || info[name] === '');
  if (!info || missing.length > 0) throw protocolError(`the user preference answer has no streamerInfo ${missing.join(', ')}`);
  return info as unknown as StreamerInfo;
}

/** OAuth's `{"error","error_description"}`, or Schwab's `{"message"}` / `{"errors":[{"detail"}]}`. */
function errorReason(body: Record<string, unknown> | null): string | null {
  if (!body) return null;
  if (typeof body.error === 'string') return typeof body.error_description === 'string' ? `${body.error}: ${body.error_description}` : body.error;
  if (typeof body.message === 'string') return body.message;
  if (Array.isArray(body.errors)) return body.errors.map((item: { detail?: unknown; title?: unknown }) => String(item?.detail ?? item?.title ?? '')).join('; ');
  return null;
}

const SERVICE: JsonService = {
  provider: 'schwab',
  name: 'Schwab',
  errorReason,
};

function callJson(url: string, request: JsonRequest, what: string): Promise<Record<string, unknown>> {
  return callService(SERVICE, url, request, what);
}

function protocolError(message: string): MarketError {
  return restProtocolError('schwab', message);
}
