/** tastytrade token timings (docs/protocols/dxlink-tastytrade.md §2). */

/** The ~15-minute access token is refreshed this long before it expires. */
export const ACCESS_REFRESH_EARLY_MS = 60_000;
/** The 24-hour quote token is renewed this long before it expires. */
export const QUOTE_RENEW_EARLY_MS = 3_600_000;
