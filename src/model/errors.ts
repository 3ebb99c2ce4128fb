/**
 * Errors users see (node.error, status). Messages say what happened and what to do, and never
 * carry a credential.
 */
import type { Channel } from './events';

export type MarketErrorCode =
  /** Bad node or provider configuration: fix the config and redeploy. */
  | 'CONFIG'
  /** The provider refused the credentials. */
  | 'AUTH'
  /** The provider rejected a subscription (unknown symbol, limit reached...). */
  | 'SUBSCRIPTION'
  /** A frame could not be understood. */
  | 'PROTOCOL'
  /** Socket or HTTP failure. */
  | 'NETWORK';

export interface MarketErrorDetails {
  provider?: string;
  symbol?: string;
  channel?: Channel;
  /** The provider's own words, when it sent any. */
  reason?: string;
}

export class MarketError extends Error {
  readonly code: MarketErrorCode;
  readonly provider?: string;
  readonly symbol?: string;
  readonly channel?: Channel;
  readonly reason?: string;

  constructor(code: MarketErrorCode, message: string, details: MarketErrorDetails = {}) {
    super(message);
    this.name = 'MarketError';
    this.code = code;
    if (details.provider !== undefined) this.provider = details.provider;
    if (details.symbol !== undefined) this.symbol = details.symbol;
    if (details.channel !== undefined) this.channel = details.channel;
    if (details.reason !== undefined) this.reason = details.reason;
  }
}

/** Removes credentials from a URL before it is logged or shown: query values and user info. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username || parsed.password) {
      parsed.username = parsed.username ? '***' : '';
      parsed.password = parsed.password ? '***' : '';
    }
    for (const key of [...parsed.searchParams.keys()]) {
      if (/token|key|secret|sig|auth|pass|jwt|code/i.test(key)) parsed.searchParams.set(key, '***');
    }
    return parsed.toString();
  } catch {
    return url.replace(/([?&][^=&]*(?:token|key|secret|sig|auth|pass|jwt|code)[^=&]*=)[^&]*/gi, '$1***');
  }
}
