/** Coinbase's limits and our tuning: staleness, pacing, snapshot waits (docs/protocols/coinbase.md). */
import type { BackoffPolicy } from '../../transport/backoff';

export interface CoinbaseTuning {
  /** Heartbeats come every second: this long without any frame → reconnect. */
  staleAfterMs: number;
  /** Control messages per second (Coinbase allows 8 per second per IP unauthenticated). */
  messagesPerSecond: number;
  /** A book still waiting for its snapshot this long after asking is asked again. */
  snapshotTimeoutMs: number;
  backoff?: Partial<BackoffPolicy>;
}

export const DEFAULT_COINBASE_TUNING: Readonly<CoinbaseTuning> = Object.freeze({ staleAfterMs: 15_000, messagesPerSecond: 5, snapshotTimeoutMs: 10_000 });
