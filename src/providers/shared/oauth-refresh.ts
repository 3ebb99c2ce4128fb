/**
 * One token that is renewed ahead of its expiry, on the session clock: an OAuth access token
 * (Schwab, tastytrade) or a token derived from one (tastytrade's quote token).
 *
 * - `token()` hands out the cached token while it is fresh, else one shared request for a new one.
 * - A renewal is scheduled `earlyMs` before expiry (a tenth of the lifetime when that is shorter);
 *   a renewal that fails on the network is retried with backoff.
 * - A refusal (MarketError AUTH: 401, 400 invalid_grant, …) is not a network blip: no request goes
 *   out for `refusedWaitMs(n)` after the n-th refusal in a row (30 s, doubling to 8 min), whoever asks; `token()` rejects at once with a
 *   `CredentialsRefused` that says why and when the next try comes (issue 17 item 2), and callers
 *   retrying a connection wait for `retryInMs()` instead of their own backoff.
 */
import { MarketError } from '../../model/errors';
import type { Clock, TimerHandle } from '../../model/clock';
import type { Logger } from '../../model/logger';
import { Backoff, DEFAULT_BACKOFF, refusedWaitMs } from '../../transport/backoff';
import { failureLine } from '../../transport/resilient-socket';

/** After a first refusal, the next request waits this long: the backoff's cap, without jitter; longer after each further one. */
export const REFUSED_HOLD_MS = DEFAULT_BACKOFF.maxMs;

export interface ExpiringToken {
  /** Epoch ms. */
  expiresAt: number;
}

/** The credentials were refused; nothing is asked again before `nextTryAt`. */
export class CredentialsRefused extends MarketError {
  readonly nextTryAt: number;

  constructor(refusal: MarketError, nextTryAt: number, now: number) {
    super('AUTH', `${refusal.message}; next try in ${Math.ceil((nextTryAt - now) / 1000)} s`, refusalDetails(refusal));
    this.nextTryAt = nextTryAt;
  }

  /** How long from `now` until the next request may go out. */
  retryInMs(now: number): number {
    return Math.max(0, this.nextTryAt - now);
  }
}

export interface OAuthRefreshStatus {
  state: 'empty' | 'fresh' | 'refused';
  /** When the cached token is renewed (fresh) or the next request may go out (refused), epoch ms. */
  nextAt?: number;
  /** The refusal's reason, in the provider's words. */
  reason?: string;
}

export interface OAuthRefreshOptions<T extends ExpiringToken> {
  /** Provider id, for logs. */
  provider: string;
  /** Which token, for logs ("access token", "quote token"). */
  what: string;
  clock: Clock;
  log: Logger;
  /** Asks for a new token. Reject with MarketError('AUTH') when the credentials are refused. */
  request(): Promise<T>;
  /** Renew this long before expiry. */
  earlyMs: number;
  /** A scheduled renewal succeeded. */
  onRenewed?(token: T): void;
  /** A scheduled renewal was refused: the credentials are dead until the user changes them. */
  onRefused(error: MarketError): void;
}

export class OAuthRefresh<T extends ExpiringToken> {
  private readonly options: OAuthRefreshOptions<T>;
  private current: (T & { renewAt: number }) | null = null;
  private pending: Promise<T> | null = null;
  private refusal: CredentialsRefused | null = null;
  /** Refusals in a row; the hold after each grows (`refusedWaitMs`). */
  private refusals = 0;
  private timer: TimerHandle = null;
  private readonly retry = new Backoff();
  private stopped = false;
  /** Requests that went out. */
  requests = 0;

  constructor(options: OAuthRefreshOptions<T>) {
    this.options = options;
  }

  /** A fresh token: the cached one, or one request shared by everyone asking now. */
  token(): Promise<T> {
    const { clock } = this.options;
    if (this.current && clock.now() < this.current.renewAt) return Promise.resolve(this.current);
    if (this.refusal && clock.now() < this.refusal.nextTryAt) return Promise.reject(this.refusal);
    this.pending ??= this.fetch().finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  /** The server refused the token itself (not the credentials): the next token() asks for another. */
  forget(): void {
    this.current = null;
  }

  status(): OAuthRefreshStatus {
    if (this.refusal) return { state: 'refused', nextAt: this.refusal.nextTryAt, reason: this.refusal.reason ?? this.refusal.message };
    if (this.current) return { state: 'fresh', nextAt: this.current.renewAt };
    return { state: 'empty' };
  }

  stop(): void {
    this.stopped = true;
    this.options.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  private async fetch(): Promise<T> {
    const { clock } = this.options;
    let token: T;
    this.requests += 1;
    try {
      token = await this.options.request();
    } catch (err) {
      if (err instanceof MarketError && err.code === 'AUTH') {
        const now = clock.now();
        this.current = null;
        // A refusal passed up from the token this one is made from keeps its own next try.
        this.refusals += 1;
        this.refusal = err instanceof CredentialsRefused ? err : new CredentialsRefused(err, now + refusedWaitMs(this.refusals, REFUSED_HOLD_MS), now);
        throw this.refusal;
      }
      throw err;
    }
    this.refusal = null;
    this.refusals = 0;
    const now = clock.now();
    this.current = { ...token, renewAt: renewAt(now, token.expiresAt, this.options.earlyMs) };
    this.schedule(this.current.renewAt - now);
    return token;
  }

  /** Renews after `delayMs`; a network failure is retried with backoff, a refusal reported once. */
  private schedule(delayMs: number): void {
    const { clock } = this.options;
    clock.clearTimeout(this.timer);
    if (this.stopped) return;
    this.timer = clock.setTimeout(() => {
      this.timer = null;
      this.current = null;
      this.token().then(
        (token) => {
          this.retry.reset();
          if (!this.stopped) this.options.onRenewed?.(token);
        },
        (err: unknown) => {
          if (this.stopped) return;
          if (err instanceof MarketError && err.code === 'AUTH') {
            this.options.onRefused(err);
            return;
          }
          const retryInMs = this.retry.next();
          this.options.log.warn(failureLine(this.options.provider, `renewing the ${this.options.what} failed: ${err instanceof Error ? err.message : String(err)}`, retryInMs, this.retry.attempt));
          this.schedule(retryInMs);
        },
      );
    }, Math.max(0, delayMs));
  }
}

/** When to renew a token issued at `now`: `earlyMs` before it expires, or a tenth of its life before when that is short. */
function renewAt(now: number, expiresAt: number, earlyMs: number): number {
  return expiresAt - Math.min(earlyMs, Math.max(0, expiresAt - now) / 10);
}

function refusalDetails(refusal: MarketError): { provider?: string; reason?: string } {
  const details: { provider?: string; reason?: string } = {};
  if (refusal.provider !== undefined) details.provider = refusal.provider;
  if (refusal.reason !== undefined) details.reason = refusal.reason;
  return details;
}
