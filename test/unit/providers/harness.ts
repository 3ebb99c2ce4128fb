/**
 * Test harness for the venue providers: one FeedSession on a provider whose endpoints point at a
 * local fake, one recording user, and waits that poll every event-loop turn (the fault tests
 * wait thousands of times, a 5 ms poll would dominate them).
 */
import type { BookEvent, MarketEvent, NoticeEvent, StatusEvent } from '../../../src/model/events';
import type { MarketError } from '../../../src/model/errors';
import { FeedSession, type SubscriptionRequest } from '../../../src/session/feed-session';
import type { Clock } from '../../../src/model/clock';
import type { ProviderDefinition, ProviderSettings } from '../../../src/model/provider';

export interface Recorder {
  events: MarketEvent[];
  statuses: StatusEvent[];
  notices: NoticeEvent[];
  errors: MarketError[];
  /** Every line the provider logged (debug included), as `level: text`. */
  logs: string[];
}

export interface Harness extends Recorder {
  session: FeedSession;
  subscribe(requests: SubscriptionRequest[], userId?: string): void;
  unsubscribe(requests: SubscriptionRequest[], userId?: string): void;
  books(symbol?: string): BookEvent[];
  /** The newest book event (of a symbol), found from the end: cheap to poll. */
  lastBook(symbol?: string): BookEvent | undefined;
  close(): Promise<void>;
}

export function settingsFor(provider: string, extra: Partial<ProviderSettings> = {}): ProviderSettings {
  return { provider, endpoint: '', restEndpoint: '', feed: '', options: {}, credentials: {}, ...extra };
}

export function openHarness(provider: ProviderDefinition, settings: ProviderSettings, clock?: Clock): Harness {
  const recorder: Recorder = { events: [], statuses: [], notices: [], errors: [], logs: [] };
  const line = (level: string) => (text: string): void => {
    recorder.logs.push(`${level}: ${text}`);
  };
  const log = { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') };
  const session = new FeedSession(provider, settings, clock ? { clock, log } : { log });
  const attached = new Set<string>();
  const attach = (id: string): void => {
    if (attached.has(id)) return;
    attached.add(id);
    session.attach({
      id,
      onEvent: (event) => recorder.events.push(event),
      onStatus: (status) => (status.type === 'status' ? recorder.statuses.push(status) : recorder.notices.push(status)),
      onError: (error) => recorder.errors.push(error),
    });
  };
  return {
    ...recorder,
    session,
    subscribe(requests, userId = 'u') {
      attach(userId);
      session.subscribe(userId, requests);
    },
    unsubscribe(requests, userId = 'u') {
      session.unsubscribe(userId, requests);
    },
    books(symbol) {
      return recorder.events.filter((event): event is BookEvent => event.type === 'book' && (symbol === undefined || event.symbol === symbol));
    },
    lastBook(symbol) {
      for (let i = recorder.events.length - 1; i >= 0; i--) {
        const event = recorder.events[i] as MarketEvent;
        if (event.type === 'book' && (symbol === undefined || event.symbol === symbol)) return event;
      }
      return undefined;
    },
    close: () => session.close(),
  };
}

/** Resolves once `condition` holds, checking after every event-loop turn; throws after `timeoutMs`. */
export async function until(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    // One event-loop turn: timers and socket I/O run in between.
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Like `until`, but resolves false instead of throwing when the time runs out. */
export async function within(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setImmediate(resolve));
  }
  return true;
}

/** Lets I/O run for about `ms` of real time. */
export function settle(ms = 20): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The statuses reported for one symbol (resyncing / synced). */
export function symbolStates(statuses: StatusEvent[], symbol: string): string[] {
  return statuses.filter((status) => status.symbol === symbol).map((status) => status.state);
}

/** Asserts that a book is strictly sorted best first on both sides and not crossed; returns a reason or null. */
export function bookProblem(book: BookEvent): string | null {
  for (let i = 1; i < book.bids.length; i++) if ((book.bids[i] as [number, number])[0] >= (book.bids[i - 1] as [number, number])[0]) return `bids not descending at ${i}`;
  for (let i = 1; i < book.asks.length; i++) if ((book.asks[i] as [number, number])[0] <= (book.asks[i - 1] as [number, number])[0]) return `asks not ascending at ${i}`;
  const bid = book.bids[0];
  const ask = book.asks[0];
  if (bid && ask && bid[0] >= ask[0]) return `crossed: bid ${bid[0]} >= ask ${ask[0]}`;
  for (const [price, size] of [...book.bids, ...book.asks]) if (!(price > 0 && size > 0)) return `level ${price}×${size} is not positive`;
  return null;
}
