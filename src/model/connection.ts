import type { ConnectionState } from './events';
import type { MarketError } from './errors';

/** A connection-level state change reported by an adapter or a ResilientSocket. */
export interface ConnectionChange {
  state: ConnectionState;
  /** Short human text: "connected", "auth rejected: invalid token", "no data for 30 s". */
  detail: string;
  /** Reconnect attempt number since the last stable connection (1 = first retry). */
  attempt?: number;
  /** When the next attempt starts. */
  retryInMs?: number;
  /** The failure behind an `error` state (auth, config). */
  error?: MarketError;
}
