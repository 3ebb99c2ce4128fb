/**
 * tastytrade's two token lifetimes (docs/protocols/dxlink-tastytrade.md §2): the OAuth access
 * token (~15 min) is refreshed a minute before it expires, and the DXLink quote token (24 h) is
 * renewed an hour before it expires; both on the session's clock. A renewed quote token is
 * handed to the DXLink stream for its next connection — the live one is not touched.
 */
import { MarketError } from '../../model/errors';
import { Backoff } from '../../transport/backoff';
import type { TimerHandle } from '../../model/clock';
import type { AdapterContext } from '../../model/provider';
import { requestAccessToken, requestQuoteToken, type AccessToken, type QuoteToken } from './rest';
import { ACCESS_REFRESH_EARLY_MS, QUOTE_RENEW_EARLY_MS } from './limits';

export interface TastytradeTokensOptions {
  context: AdapterContext;
  restBase: string;
  clientSecret: string;
  refreshToken: string;
  /** A quote token renewed ahead of its expiry. */
  onQuoteTokenRenewed(token: QuoteToken): void;
  /** A scheduled refresh failed for good (the refresh token was refused). */
  onRefreshRefused(error: MarketError): void;
}

export class TastytradeTokens {
  private readonly options: TastytradeTokensOptions;
  private access: (AccessToken & { renewAt: number }) | null = null;
  private quote: (QuoteToken & { renewAt: number }) | null = null;
  private accessRequest: Promise<AccessToken> | null = null;
  private accessTimer: TimerHandle = null;
  private quoteTimer: TimerHandle = null;
  private readonly retry = new Backoff();
  private stopped = false;
  readonly counters = { accessTokens: 0, quoteTokens: 0 };

  constructor(options: TastytradeTokensOptions) {
    this.options = options;
  }

  /** A quote token valid for a while yet, fetched when needed. */
  async quoteToken(): Promise<QuoteToken> {
    const clock = this.options.context.clock;
    if (this.quote && clock.now() < this.quote.renewAt) return this.quote;
    let token: QuoteToken;
    try {
      token = await requestQuoteToken(this.options.restBase, (await this.accessToken()).token, clock);
    } catch (err) {
      // A 401 here can mean the access token died early: get a new one and ask once more.
      if (!(err instanceof MarketError) || err.code !== 'AUTH' || !this.access) throw err;
      this.access = null;
      token = await requestQuoteToken(this.options.restBase, (await this.accessToken()).token, clock);
    }
    this.counters.quoteTokens += 1;
    this.quote = { ...token, renewAt: renewAt(clock.now(), token.expiresAt, QUOTE_RENEW_EARLY_MS) };
    this.scheduleQuoteRenewal();
    return token;
  }

  /** The server refused the quote token: the next quoteToken() fetches another. */
  forgetQuoteToken(): void {
    this.quote = null;
  }

  stop(): void {
    this.stopped = true;
    const clock = this.options.context.clock;
    clock.clearTimeout(this.accessTimer);
    clock.clearTimeout(this.quoteTimer);
    this.accessTimer = null;
    this.quoteTimer = null;
  }

  private accessToken(): Promise<AccessToken> {
    if (this.access && this.options.context.clock.now() < this.access.renewAt) return Promise.resolve(this.access);
    this.accessRequest ??= this.refreshAccess().finally(() => {
      this.accessRequest = null;
    });
    return this.accessRequest;
  }

  private async refreshAccess(): Promise<AccessToken> {
    const { restBase, clientSecret, refreshToken, context } = this.options;
    const token = await requestAccessToken(restBase, clientSecret, refreshToken, context.clock);
    this.counters.accessTokens += 1;
    this.access = { ...token, renewAt: renewAt(context.clock.now(), token.expiresAt, ACCESS_REFRESH_EARLY_MS) };
    this.scheduleAccessRefresh(this.access.renewAt - context.clock.now());
    return token;
  }

  /** Refreshes the access token after `delayMs`; a failure other than a refusal is retried with backoff. */
  private scheduleAccessRefresh(delayMs: number): void {
    const clock = this.options.context.clock;
    clock.clearTimeout(this.accessTimer);
    if (this.stopped) return;
    this.accessTimer = clock.setTimeout(() => {
      this.accessTimer = null;
      this.access = null;
      this.accessToken().then(
        () => this.retry.reset(),
        (err: unknown) => this.scheduledRefreshFailed(err, () => this.scheduleAccessRefresh(this.retry.next())),
      );
    }, Math.max(0, delayMs));
  }

  private scheduleQuoteRenewal(): void {
    const clock = this.options.context.clock;
    clock.clearTimeout(this.quoteTimer);
    if (this.stopped || !this.quote) return;
    const renew = (): void => {
      this.quoteTimer = null;
      this.quote = null;
      this.quoteToken().then(
        (token) => {
          this.retry.reset();
          this.options.onQuoteTokenRenewed(token);
        },
        (err: unknown) =>
          this.scheduledRefreshFailed(err, () => {
            this.quoteTimer = clock.setTimeout(renew, this.retry.next());
          }),
      );
    };
    this.quoteTimer = clock.setTimeout(renew, Math.max(0, this.quote.renewAt - clock.now()));
  }

  /** A refused refresh token is reported (and retried only when the stream needs a token); anything else is retried with backoff. */
  private scheduledRefreshFailed(err: unknown, retry: () => void): void {
    if (this.stopped) return;
    if (err instanceof MarketError && err.code === 'AUTH') {
      this.options.onRefreshRefused(err);
      return;
    }
    this.options.context.log.warn(`tastytrade: ${err instanceof Error ? err.message : String(err)}; retrying`);
    retry();
  }
}

/** When to renew a token issued now: `earlyMs` before it expires, or a tenth of its life before when that is short. */
function renewAt(now: number, expiresAt: number, earlyMs: number): number {
  return expiresAt - Math.min(earlyMs, Math.max(0, expiresAt - now) / 10);
}
