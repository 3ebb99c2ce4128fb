/**
 * Schwab's token lifetimes (docs/protocols/schwab.md §1): the access token (30 min) is refreshed
 * a few minutes before it expires, on the session's clock; the refresh token lasts 7 days and
 * then the user has to sign in again, so its age is tracked to warn a day ahead.
 *
 * Schwab does not say when a refresh token was issued. The issue time is `options.refreshTokenIssuedAt`
 * when the user set it (ISO date-time or epoch ms), else the first time this Node-RED process saw
 * that refresh token (kept in memory by a hash of the token, so a restart counts from the restart).
 */
import { createHash } from 'node:crypto';
import { MarketError } from '../../model/errors';
import type { TimerHandle } from '../../model/clock';
import type { AdapterContext } from '../../model/provider';
import { OAuthRefresh, type OAuthRefreshStatus } from '../shared/oauth-refresh';
import { requestSchwabAccessToken, requestStreamerInfo, type SchwabAccessToken, type StreamerInfo } from './rest';
import { REFRESH_TOKEN_LIFETIME_MS, WARN_BEFORE_MS, WARN_REPEAT_MS, ACCESS_REFRESH_EARLY_MS } from './limits';

/** Refresh token (by hash) → when this process first saw it. */
const firstSeen = new Map<string, number>();

export type RefreshTokenOrigin = 'options' | 'first-seen';

/** `options.refreshTokenIssuedAt` as epoch ms, or undefined when not set. Throws MarketError('CONFIG') when unusable. */
export function issuedAtOption(options: Record<string, unknown>, now: number): number | undefined {
  const raw = options.refreshTokenIssuedAt;
  if (raw === undefined || raw === null || raw === '') return undefined;
  const at = typeof raw === 'number' ? raw : typeof raw === 'string' ? Date.parse(raw) : NaN;
  if (!Number.isFinite(at) || at <= 0 || at > now + 86_400_000) {
    throw new MarketError('CONFIG', `schwab: options.refreshTokenIssuedAt must be the date and time you got the refresh token, e.g. "2026-11-20T15:00:00Z", got ${JSON.stringify(raw)}`, { provider: 'schwab' });
  }
  return at;
}

/** When the refresh token was issued: the option, else when this process first saw the token. */
export function refreshTokenIssuedAt(options: Record<string, unknown>, refreshToken: string, now: number): { at: number; origin: RefreshTokenOrigin } {
  const fromOptions = issuedAtOption(options, now);
  if (fromOptions !== undefined) return { at: fromOptions, origin: 'options' };
  const key = createHash('sha256').update(refreshToken).digest('hex');
  if (!firstSeen.has(key)) firstSeen.set(key, now);
  return { at: firstSeen.get(key)!, origin: 'first-seen' };
}

export interface SchwabTokensOptions {
  context: AdapterContext;
  restBase: string;
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  /** A scheduled access-token refresh was refused (the refresh token is dead). */
  onRefreshRefused(error: MarketError): void;
}

export class SchwabTokens {
  private readonly options: SchwabTokensOptions;
  private readonly access: OAuthRefresh<SchwabAccessToken>;
  private warnTimer: TimerHandle = null;
  private stopped = false;
  readonly refreshTokenExpiresAt: number;
  /** Where the refresh token's issue time came from. */
  readonly refreshTokenOrigin: RefreshTokenOrigin;
  readonly counters = { accessTokens: 0, preferenceRequests: 0 };

  constructor(options: SchwabTokensOptions) {
    this.options = options;
    const { context, restBase, clientId, clientSecret, refreshToken } = options;
    const issued = refreshTokenIssuedAt(context.settings.options, refreshToken, context.clock.now());
    this.refreshTokenExpiresAt = issued.at + REFRESH_TOKEN_LIFETIME_MS;
    this.refreshTokenOrigin = issued.origin;
    this.access = new OAuthRefresh({
      provider: 'schwab',
      what: 'access token',
      clock: context.clock,
      log: context.log,
      earlyMs: ACCESS_REFRESH_EARLY_MS,
      request: async () => {
        let token: SchwabAccessToken;
        try {
          token = await requestSchwabAccessToken(restBase, clientId, clientSecret, refreshToken, context.clock);
        } catch (err) {
          throw err instanceof MarketError && err.code === 'AUTH' ? this.refreshRefused(err) : err;
        }
        this.counters.accessTokens += 1;
        return token;
      },
      onRefused: options.onRefreshRefused,
    });
  }

  accessToken(): Promise<SchwabAccessToken> {
    return this.access.token();
  }

  /** Where the credentials stand: refused (and when the next try comes) or fresh. */
  status(): OAuthRefreshStatus {
    return this.access.status();
  }

  /** Schwab refused a LOGIN with our token: the next accessToken() asks for a new one. */
  forgetAccessToken(): void {
    this.access.forget();
  }

  async streamerInfo(): Promise<StreamerInfo> {
    const { token } = await this.accessToken();
    this.counters.preferenceRequests += 1;
    return requestStreamerInfo(this.options.restBase, token);
  }

  /**
   * Warns on every stream-in's output 2 when the refresh token has a day or less to live, and
   * again every 6 hours until it expires. Call once the stream is up (nodes are attached by then).
   */
  checkRefreshTokenExpiry(): void {
    const { clock } = this.options.context;
    clock.clearTimeout(this.warnTimer);
    this.warnTimer = null;
    if (this.stopped) return;
    const left = this.refreshTokenExpiresAt - clock.now();
    if (left <= 0) return;
    if (left <= WARN_BEFORE_MS) {
      const hours = Math.max(1, Math.round(left / 3_600_000));
      this.options.context.notice({
        level: 'warning',
        code: 'REFRESH_TOKEN_EXPIRING',
        detail: `The Schwab refresh token expires in about ${hours} h (${new Date(this.refreshTokenExpiresAt).toISOString()}): sign in again through your Schwab app's OAuth flow, paste the new refresh token into the provider config node and set options.refreshTokenIssuedAt`,
        at: this.refreshTokenExpiresAt,
      });
    }
    const next = left <= WARN_BEFORE_MS ? Math.min(WARN_REPEAT_MS, left) : left - WARN_BEFORE_MS;
    this.warnTimer = clock.setTimeout(() => this.checkRefreshTokenExpiry(), next);
  }

  stop(): void {
    this.stopped = true;
    this.access.stop();
    this.options.context.clock.clearTimeout(this.warnTimer);
    this.warnTimer = null;
  }

  /** The refresh grant failed: most often the 7-day refresh token ran out. Say how to get a new one. */
  private refreshRefused(err: MarketError): MarketError {
    const expired = this.options.context.clock.now() >= this.refreshTokenExpiresAt - WARN_BEFORE_MS;
    const why = expired ? 'its 7 days are up' : 'it may have been revoked or replaced';
    return new MarketError(
      'AUTH',
      `Schwab refused the refresh token (${err.reason ?? 'refused'}); ${why}. Sign in again through your Schwab app's OAuth flow (authorize URL → code → POST /v1/oauth/token), paste the new refresh token into the provider config node and set options.refreshTokenIssuedAt`,
      { provider: 'schwab', reason: err.reason ?? 'refused' },
    );
  }
}
