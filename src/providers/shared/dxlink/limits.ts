/** DXLink timings and limits shared by the DXLink providers (docs/protocols/dxlink-tastytrade.md §3, §6). */
import type { BackoffPolicy } from '../../../transport/backoff';

/** What a DXLink provider may be tuned with (tests, benches). */
export interface DxlinkTuning {
  /** Reconnect backoff of the socket; the transport's default when absent. */
  backoff?: Partial<BackoffPolicy>;
  /** How long SETUP and AUTH may go unanswered (ms); AUTH_ANSWER_MS when absent. */
  handshakeMs?: number;
}

/** What we announce in SETUP (seconds): the server may drop us after this long without a frame from us (§6). */
export const OUR_KEEPALIVE_TIMEOUT_S = 60;

/** We send KEEPALIVE after this long without sending anything: half our announced timeout. */
export const KEEPALIVE_SEND_MS = 30_000;

/** Seconds; the value tastytrade's own example asks for. */
export const AGGREGATION_PERIOD_S = 0.1;

/** Subscriptions per FEED_SUBSCRIPTION frame: well under the server's frame limit (close 1009, §6). */
export const SUBSCRIPTION_CHUNK = 100;

/** How long the server may take to answer SETUP and AUTH; an unanswered AUTH counts as a refused token. */
export const AUTH_ANSWER_MS = 15_000;

/** A FEED channel the server closed is opened again after this. */
export const CHANNEL_REOPEN_MS = 1_000;
