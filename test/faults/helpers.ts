/**
 * Shared by the fault suite: a stream-in core (StreamConsumer) attached to a FeedSession, the way
 * the market-stream-in node uses it, with everything it would show recorded; seeded randomness;
 * and waits that poll every event-loop turn.
 */
import type { BookEvent, HealthEvent, MarketEvent, NoticeEvent, StatusEvent, TradeEvent } from '../../src/model/events';
import type { MarketError } from '../../src/model/errors';
import type { FeedSession } from '../../src/session/feed-session';
import { systemClock } from '../../src/transport/clock';
import type { Clock } from '../../src/model/clock';
import { StreamConsumer, type StatusView } from '../../src/session/stream-consumer';
import type { StreamSpec } from '../../src/session/stream-config';
import { seededRandom } from '../fakes/binance/market';

export { seededRandom };
export { until, within, settle, bookProblem } from '../unit/providers/harness';

/** Real time whose intervals do not hold the process open: a test that forgets consumer.stop() must not keep mocha waiting an hour. */
const unrefClock: Clock = { ...systemClock, setInterval: (callback, ms) => setInterval(callback, ms).unref() };

/** What one stream-in node would have sent and shown. */
export interface NodeRecord {
  consumer: StreamConsumer;
  events: MarketEvent[];
  statuses: Array<StatusEvent | NoticeEvent | HealthEvent>;
  /** Calls of node.error (after the consumer's rate limit). */
  nodeErrors: MarketError[];
  views: StatusView[];
  trades(symbol?: string): TradeEvent[];
  books(symbol?: string): BookEvent[];
}

/** A stream-in core on `session`, started (it attaches and subscribes like the node does). */
export function streamNode(session: FeedSession, id: string, spec: Partial<StreamSpec> & Pick<StreamSpec, 'symbols' | 'channels'>): NodeRecord {
  const full: StreamSpec = { interval: '1m', depth: 5, throttleMs: 0, staleAfterMs: 0, ...spec };
  const record: Omit<NodeRecord, 'consumer'> = {
    events: [],
    statuses: [],
    nodeErrors: [],
    views: [],
    trades: (symbol) => record.events.filter((e): e is TradeEvent => e.type === 'trade' && (symbol === undefined || e.symbol === symbol)),
    books: (symbol) => record.events.filter((e): e is BookEvent => e.type === 'book' && (symbol === undefined || e.symbol === symbol)),
  };
  // Health and the rate display are read on demand (consumer.health()); their timers stay out of the way.
  const consumer = new StreamConsumer(id, session, full, {
    event: (event) => record.events.push(event),
    status: (event) => record.statuses.push(event),
    error: (error) => record.nodeErrors.push(error),
    display: (view) => record.views.push(view),
  }, { healthEveryMs: 3_600_000, displayEveryMs: 3_600_000, clock: unrefClock });
  session.attach(consumer);
  consumer.start();
  return { consumer, ...record };
}

/** Connection states (no symbol) a node was told about, in order. */
export function connectionStates(record: Pick<NodeRecord, 'statuses'>): string[] {
  return record.statuses.filter((s): s is StatusEvent => s.type === 'status' && s.symbol === undefined).map((s) => s.state);
}

export function pick<T>(random: () => number, list: readonly T[]): T {
  return list[Math.floor(random() * list.length)] as T;
}
