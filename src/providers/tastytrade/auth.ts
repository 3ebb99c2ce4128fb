/**
 * tastytrade's two token lifetimes (docs/protocols/dxlink-tastytrade.md §2): the OAuth access
 * token (~15 min) is refreshed a minute before it expires, and the DXLink quote token (24 h) is
 * renewed an hour before it expires; both on the session's clock (shared/oauth-refresh.ts). A
 * renewed quote token is handed to the DXLink stream for its next connection — the live one is
 * not touched.
 */
import { MarketError } from '../../model/errors';
import type { AdapterContext } from '../../model/provider';
import { OAuthRefresh, type OAuthRefreshStatus } from '../shared/oauth-refresh';
import { requestAccessToken, requestQuoteToken, type AccessToken, type QuoteToken } from './rest';
import { ACCESS_REFRESH_EARLY_MS, QUOTE_RENEW_EARLY_MS } from './limits';

export interface TastytradeTokensOptions {
  context: AdapterContext;
  restBase: string;
  clientSecret: string;
  refreshToken: string;
  /** A quote token renewed ahead of its expiry. */
  onQuoteTokenRenewed?(token: QuoteToken): void;
  /** A scheduled refresh failed for good (the refresh token was refused). */
  onRefreshRefused(error: MarketError): void;
}

export class TastytradeTokens {
  private readonly access: OAuthRefresh<AccessToken>;
  private readonly quote: OAuthRefresh<QuoteToken>;
  readonly counters = { accessTokens: 0, quoteTokens: 0 };

  constructor(options: TastytradeTokensOptions) {
    const { context, restBase, clientSecret, refreshToken } = options;
    const { clock, log } = context;
    this.access = new OAuthRefresh({
      provider: 'tastytrade',
      what: 'access token',
      clock,
      log,
      earlyMs: ACCESS_REFRESH_EARLY_MS,
      request: async () => {
        const token = await requestAccessToken(restBase, clientSecret, refreshToken, clock);
        this.counters.accessTokens += 1;
        return token;
      },
      onRefused: options.onRefreshRefused,
    });
    this.quote = new OAuthRefresh({
      provider: 'tastytrade',
      what: 'quote token',
      clock,
      log,
      earlyMs: QUOTE_RENEW_EARLY_MS,
      request: async () => {
        const access = await this.access.token();
        let token: QuoteToken;
        try {
          token = await requestQuoteToken(restBase, access.token, clock);
        } catch (err) {
          // A 401 here can mean the access token died early: get a new one and ask once more.
          if (!(err instanceof MarketError) || err.code !== 'AUTH') throw err;
          this.access.forget();
          token = await requestQuoteToken(restBase, (await this.access.token()).token, clock);
        }
        this.counters.quoteTokens += 1;
        return token;
      },
      ...(options.onQuoteTokenRenewed ? { onRenewed: options.onQuoteTokenRenewed } : {}),
      onRefused: options.onRefreshRefused,
    });
  }

  /** A quote token valid for a while yet, fetched when needed. */
  quoteToken(): Promise<QuoteToken> {
    return this.quote.token();
  }

  /** The server refused the quote token: the next quoteToken() fetches another. */
  forgetQuoteToken(): void {
    this.quote.forget();
  }

  /** Where the credentials stand: refused (and when the next try comes) or fresh. */
  status(): OAuthRefreshStatus {
    const access = this.access.status();
    return access.state === 'refused' ? access : this.quote.status();
  }

  stop(): void {
    this.access.stop();
    this.quote.stop();
  }
}
