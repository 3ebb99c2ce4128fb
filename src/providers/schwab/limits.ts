/** Schwab timings and limits (docs/protocols/schwab.md §1, §2). */

/** Heartbeat cadence is undocumented (§2); a minute of silence is well past any seen. */
export const STALE_AFTER_MS = 60_000;
/** The refresh token's life (§1): then the user signs in again. */
export const REFRESH_TOKEN_LIFETIME_MS = 7 * 86_400_000;
/** Warn this long before the refresh token expires, and again every WARN_REPEAT_MS. */
export const WARN_BEFORE_MS = 86_400_000;
export const WARN_REPEAT_MS = 6 * 3_600_000;

/** The 30-minute access token is refreshed this long before it expires. */
export const ACCESS_REFRESH_EARLY_MS = 5 * 60_000;
