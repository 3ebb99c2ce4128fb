/** DXLink timings and limits shared by the DXLink providers (docs/protocols/dxlink-tastytrade.md §3, §6). */

/** Reconnects left to the library: its delays (1 s, 2 s, …) stay within our 30 s cap up to here. */
export const LIBRARY_RECONNECT_ATTEMPTS = 30;

/** Seconds; the value tastytrade's own example asks for. */
export const AGGREGATION_PERIOD_S = 0.1;

/** Subscriptions per FEED_SUBSCRIPTION frame: well under the server's frame limit (close 1009, §6). */
export const SUBSCRIPTION_CHUNK = 100;

/** How long the server may take to answer AUTH before we count the token as refused. */
export const AUTH_ANSWER_MS = 15_000;

/** A FEED channel the server closed is opened again after this. */
export const CHANNEL_REOPEN_MS = 1_000;
