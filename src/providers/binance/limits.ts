/** Binance's limits and our tuning: connections, pacing, staleness, snapshots (docs/protocols/binance.md §3, §7). */
import type { BackoffPolicy } from '../../transport/backoff';

export interface ConnectionTuning {
  /** Streams per connection (Binance: 1024). */
  maxStreamsPerConnection: number;
  /** Stream names per SUBSCRIBE message (very long lists have failed silently, docs/protocols/binance.md §3). */
  streamsPerMessage: number;
  /** Control messages per second per connection (limit 5, pongs included: keep one spare). */
  controlMessagesPerSecond: number;
  /** Replace a connection after this long (Binance closes it at 24 h). */
  rotateAfterMs: number;
  /** How long the replaced connection stays open after the successor took over. */
  overlapMs: number;
  /** No frame (data or ping) for this long → reconnect. Binance pings every 20 s. */
  staleAfterMs: number;
  backoff?: Partial<BackoffPolicy>;
}

export interface BinanceTuning extends ConnectionTuning {
  /** A confirmed symbol silent this long is looked up with exchangeInfo. */
  verifyAfterMs: number;
  /** Symbols per exchangeInfo lookup (one request weighs 20 whatever the number, docs/protocols/binance.md §4). */
  verifySymbolsPerRequest: number;
  /** REST weight we spend per minute at most: two thirds of the 6,000 IP budget, the rest left to other programs on the same IP (80 book snapshots a minute) (docs/protocols/binance.md §7). */
  restWeightPerMinute: number;
  /** Pause between two exchangeInfo lookups: 20 weight a second at most, a fifth of the 6,000/min IP budget. */
  verifyIntervalMs: number;
  /** First wait before fetching a snapshot again (doubles up to 30 s). */
  snapshotRetryMs: number;
  /** A snapshot that arrived before any diff event is applied after this long without one. */
  quietSnapshotMs: number;
}

export const DEFAULT_BINANCE_TUNING: Readonly<BinanceTuning> = Object.freeze({
  maxStreamsPerConnection: 1024,
  streamsPerMessage: 100,
  controlMessagesPerSecond: 4,
  rotateAfterMs: 23 * 3_600_000 + 50 * 60_000,
  overlapMs: 3_000,
  staleAfterMs: 60_000,
  verifyAfterMs: 5_000,
  verifySymbolsPerRequest: 100,
  verifyIntervalMs: 1_000,
  restWeightPerMinute: 4_000,
  snapshotRetryMs: 250,
  quietSnapshotMs: 1_000,
});

/** The longest wait between two snapshot attempts of one book. */
export const MAX_SNAPSHOT_RETRY_MS = 30_000;
