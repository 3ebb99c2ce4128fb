/** Kraken's limits and our tuning: staleness, pacing, snapshot waits (docs/protocols/kraken.md). */
import type { BackoffPolicy } from '../../transport/backoff';

export interface KrakenTuning {
  /** Heartbeats come every second when nothing else does: this long without a frame → reconnect. */
  staleAfterMs: number;
  /** Requests per second (Kraken's v2 limit is undocumented; v1 refused bursts of ~16). */
  messagesPerSecond: number;
  /** An application ping this often keeps Kraken from closing a connection it thinks idle. */
  pingIntervalMs: number;
  /** A book subscribe not answered by a snapshot within this long is sent again (the snapshot may have been lost). */
  snapshotTimeoutMs: number;
  backoff?: Partial<BackoffPolicy>;
}

export const DEFAULT_KRAKEN_TUNING: Readonly<KrakenTuning> = Object.freeze({ staleAfterMs: 10_000, messagesPerSecond: 5, pingIntervalMs: 30_000, snapshotTimeoutMs: 10_000 });
