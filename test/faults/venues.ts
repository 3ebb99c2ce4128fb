/**
 * The five providers with fakes, opened the same way for the reconnect faults (disconnects, stale
 * feeds): a FeedSession on the real adapter against its fake, one stream-in core holding several
 * symbols × channels, and what a test needs to judge a reconnect from the fake's side — the
 * subscriptions the fake holds on its open connection, the subscribe frames that connection
 * received (per key, to catch a duplicate), and a way to make every subscription produce data.
 *
 * Keys are written in each venue's own notation (Binance stream names, Coinbase/Kraken
 * `channel:symbol`, Schwab `SERVICE:key`, DXLink `Type:symbol`), read from what the fake
 * received, never from the adapter.
 */
import assert from 'node:assert/strict';
import type { Channel, MarketEvent } from '../../src/model/events';
import { FeedSession } from '../../src/session/feed-session';
import { createBinanceProvider } from '../../src/providers/binance';
import { createCoinbaseProvider } from '../../src/providers/coinbase';
import { createKrakenProvider } from '../../src/providers/kraken';
import { schwabProvider } from '../../src/providers/schwab';
import { createDxfeedProvider } from '../../src/providers/dxfeed';
import type { ProviderSettings } from '../../src/model/provider';
import { EVENT_CHANNEL } from '../../src/model/events';
import { FakeBinance } from '../fakes/binance/server';
import { FakeCoinbase } from '../fakes/coinbase/server';
import { FakeKraken } from '../fakes/kraken/server';
import { FakeSchwab } from '../fakes/schwab/fake';
import { FakeDxlinkServer } from '../fakes/dxlink/server';
import type { FaultHooks } from '../fakes/fault-hooks';
import { freshToken } from '../fakes/http-json';
import { fakeClock } from '../helpers/fake-clock';
import { streamNode, type NodeRecord } from './helpers';

export type VenueId = 'binance' | 'coinbase' | 'kraken' | 'schwab' | 'dxfeed';

export interface Venue {
  id: VenueId;
  session: FeedSession;
  node: NodeRecord;
  faults: FaultHooks;
  symbols: string[];
  channels: Channel[];
  /** Keys the node's subscriptions must produce at the venue, sorted. */
  expected: string[];
  /** Keys the fake holds on its open connection(s), sorted; null while more than one is open. */
  held(): string[] | null;
  /** Subscribe requests per key that the newest connection received. */
  subscribeCounts(): Map<string, number>;
  /** A client frame that is the handshake (auth / login / SETUP, or the first frame where there is none). */
  isHandshake(text: string, index: number): boolean;
  /** A client frame that (re)subscribes. */
  isSubscribe(text: string): boolean;
  /** Subscribe frames a reconnect sends. */
  subscribeFrames: number;
  /** Makes every symbol move on every channel (some steps send nothing: call again). */
  publish(): void;
  /** Runs the provider's timers where they run on a fake clock (Schwab): due retries fire. */
  pump(): Promise<void>;
  /** Moves the provider's fake clock on (Schwab only; the others run on real time). */
  advance?: (ms: number) => Promise<void>;
  /** Stops the fake sending, socket kept open; `resume` lets new connections work again. */
  stall(): void;
  resume(): void;
  close(): Promise<void>;
}

export interface VenueOptions {
  /** The provider's stale window where it can be set (ms). */
  staleAfterMs?: number;
}

const settings = (provider: string, extra: Partial<ProviderSettings>): ProviderSettings => ({ provider, endpoint: '', restEndpoint: '', feed: '', options: {}, credentials: {}, ...extra });
/** Fast reconnects: 100 of them must take seconds, not minutes. */
const BACKOFF = { initialMs: 20, maxMs: 200, factor: 2, jitter: 0.5 };

function sorted(list: Iterable<string>): string[] {
  return [...list].sort();
}

function count(into: Map<string, number>, key: string): void {
  into.set(key, (into.get(key) ?? 0) + 1);
}

/** True when every (symbol, channel) got an event after `since` (an index into node.events). */
export function freshFor(venue: Pick<Venue, 'node' | 'symbols' | 'channels'>, since: number): boolean {
  const seen = new Set<string>();
  const events = venue.node.events;
  for (let i = since; i < events.length; i++) {
    const event = events[i] as MarketEvent;
    seen.add(`${EVENT_CHANNEL[event.type]}:${event.symbol}`);
  }
  return venue.symbols.every((symbol) => venue.channels.every((channel) => seen.has(`${channel}:${symbol}`)));
}

/** Waits on `condition`, publishing every 10 ms and letting fake-clock retries fire. */
export async function recover(venue: Venue, condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let publishedAt = 0;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${venue.id}: timed out waiting for ${what} (status ${venue.session.status.state}: ${venue.session.status.detail}; held ${JSON.stringify(venue.held())})`);
    await venue.pump();
    if (Date.now() - publishedAt >= 10) {
      publishedAt = Date.now();
      if (venue.session.status.state === 'connected') venue.publish();
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * Back to normal on a new connection (at least `connections` accepted in all, one open): connected,
 * exactly the wanted subscriptions, each asked for once there, data on all of them from then on.
 */
export async function assertRestored(venue: Venue, connections: number, label: string): Promise<void> {
  const { faults } = venue;
  await recover(venue, () => !faults.armed && faults.acceptedCount >= connections && faults.openCount === 1 && venue.session.status.state === 'connected' && JSON.stringify(venue.held()) === JSON.stringify(venue.expected), `${label}: subscriptions restored`);
  const since = venue.node.events.length;
  await recover(venue, () => freshFor(venue, since), `${label}: a fresh event on every symbol and channel`);
  assert.deepEqual(venue.held(), venue.expected, `${label}: the fake holds exactly what the node asked for`);
  const counts = venue.subscribeCounts();
  assert.deepEqual([...counts.keys()].sort(), venue.expected, `${label}: the new connection was asked for every subscription, and nothing else`);
  const twice = [...counts].filter(([, n]) => n !== 1);
  assert.deepEqual(twice, [], `${label}: no subscription requested twice on the new connection`);
}

export async function openVenue(id: VenueId, options: VenueOptions = {}): Promise<Venue> {
  switch (id) {
    case 'binance':
      return openBinance(options);
    case 'coinbase':
      return openCoinbase(options);
    case 'kraken':
      return openKraken(options);
    case 'schwab':
      return openSchwab();
    case 'dxfeed':
      return openDxfeed(options);
  }
}

/** What the three crypto fakes share: a trade and a book step per symbol, stall by flag. */
interface CryptoFake {
  stalled: boolean;
  trade(symbol: string): unknown;
  bookStep(symbol: string): void;
  close(): Promise<void>;
}

function cryptoControls(fake: CryptoFake, symbols: string[], node: Venue['node'], session: Venue['session']): Pick<Venue, 'publish' | 'pump' | 'stall' | 'resume' | 'close'> {
  return {
    publish: () => {
      for (const symbol of symbols) {
        fake.trade(symbol);
        fake.bookStep(symbol);
      }
    },
    pump: async () => undefined,
    stall: () => {
      fake.stalled = true;
    },
    resume: () => {
      fake.stalled = false;
    },
    close: async () => {
      node.consumer.stop();
      await session.close();
      await fake.close();
    },
  };
}

async function openBinance(options: VenueOptions): Promise<Venue> {
  // Pings every 300 ms keep a quiet connection alive under a short stale window.
  const fake = await FakeBinance.start({ pingIntervalMs: 300 });
  const symbols = ['BTCUSDT', 'ETHUSDT', 'BNBUSDT'];
  for (const symbol of symbols) fake.list(symbol, { levels: 30 });
  // Three streams per SUBSCRIBE: nine streams take three frames, paced under Binance's 5 per second.
  const provider = createBinanceProvider({ streamsPerMessage: 3, backoff: BACKOFF, snapshotRetryMs: 20, quietSnapshotMs: 50, staleAfterMs: options.staleAfterMs ?? 60_000 });
  const session = new FeedSession(provider, settings('binance', { endpoint: fake.wsUrl, restEndpoint: fake.restUrl }));
  const channels: Channel[] = ['trade', 'quote', 'book'];
  const node = streamNode(session, 'n1', { symbols, channels, depth: 5 });
  const newest = () => fake.connections.at(-1);
  return {
    id: 'binance', session, node, faults: fake.faults, symbols, channels,
    expected: sorted(symbols.flatMap((s) => [`${s.toLowerCase()}@trade`, `${s.toLowerCase()}@bookTicker`, `${s.toLowerCase()}@depth@100ms`])),
    held: () => {
      const open = fake.openConnections;
      return open.length === 1 ? sorted(open[0]!.streams) : null;
    },
    subscribeCounts: () => {
      const counts = new Map<string, number>();
      for (const text of newest()?.received ?? []) {
        const request = JSON.parse(text) as { method?: string; params?: string[] };
        if (request.method === 'SUBSCRIBE') for (const stream of request.params ?? []) count(counts, stream);
      }
      return counts;
    },
    isHandshake: (_text, index) => index === 1,
    isSubscribe: (text) => text.includes('"SUBSCRIBE"'),
    subscribeFrames: 3,
    ...cryptoControls(fake, symbols, node, session),
  };
}

async function openCoinbase(options: VenueOptions): Promise<Venue> {
  const fake = await FakeCoinbase.start({ heartbeatMs: 200 });
  const symbols = ['BTC-USD', 'ETH-USD', 'SOL-USD'];
  for (const symbol of symbols) fake.list(symbol);
  const provider = createCoinbaseProvider({ messagesPerSecond: 8, backoff: BACKOFF, staleAfterMs: options.staleAfterMs ?? 15_000 });
  const session = new FeedSession(provider, settings('coinbase', { endpoint: fake.url }));
  const channels: Channel[] = ['trade', 'quote', 'book'];
  const node = streamNode(session, 'n1', { symbols, channels, depth: 5 });
  const wire = ['market_trades', 'ticker', 'level2'];
  return {
    id: 'coinbase', session, node, faults: fake.faults, symbols, channels,
    expected: sorted(symbols.flatMap((s) => wire.map((channel) => `${channel}:${s}`))),
    held: () => {
      const open = fake.openConnections;
      if (open.length !== 1) return null;
      return sorted([...open[0]!.channels].filter(([channel]) => channel !== 'heartbeats').flatMap(([channel, products]) => [...products].map((p) => `${channel}:${p}`)));
    },
    subscribeCounts: () => {
      const counts = new Map<string, number>();
      for (const request of fake.connections.at(-1)?.received ?? []) {
        if (request.type !== 'subscribe' || request.channel === 'heartbeats') continue;
        for (const product of (request.product_ids ?? []) as string[]) count(counts, `${String(request.channel)}:${product}`);
      }
      return counts;
    },
    isHandshake: (text) => text.includes('"heartbeats"'),
    isSubscribe: (text) => text.includes('"subscribe"') && !text.includes('"heartbeats"'),
    subscribeFrames: 3,
    ...cryptoControls(fake, symbols, node, session),
  };
}

async function openKraken(options: VenueOptions): Promise<Venue> {
  const fake = await FakeKraken.start({ heartbeatMs: 200 });
  const symbols = ['BTC/USD', 'ETH/USD', 'SOL/USD'];
  for (const symbol of symbols) fake.list(symbol);
  const provider = createKrakenProvider({ backoff: BACKOFF, staleAfterMs: options.staleAfterMs ?? 10_000 });
  const session = new FeedSession(provider, settings('kraken', { endpoint: fake.url }));
  const channels: Channel[] = ['trade', 'quote', 'book'];
  const node = streamNode(session, 'n1', { symbols, channels, depth: 5 });
  return {
    id: 'kraken', session, node, faults: fake.faults, symbols, channels,
    expected: sorted(symbols.flatMap((s) => ['trade', 'ticker', 'book'].map((channel) => `${channel}:${s}`))),
    held: () => {
      const open = fake.openConnections;
      if (open.length !== 1) return null;
      const connection = open[0]!;
      return sorted([...[...connection.channels].flatMap(([channel, set]) => [...set].map((s) => `${channel}:${s}`)), ...[...connection.books.keys()].map((s) => `book:${s}`)]);
    },
    subscribeCounts: () => {
      const counts = new Map<string, number>();
      for (const request of fake.connections.at(-1)?.received ?? []) {
        if (request.method !== 'subscribe') continue;
        const params = request.params as { channel: string; symbol: string[] };
        for (const symbol of params.symbol) count(counts, `${params.channel}:${symbol}`);
      }
      return counts;
    },
    isHandshake: (_text, index) => index === 1,
    isSubscribe: (text) => text.includes('"subscribe"'),
    subscribeFrames: 3,
    ...cryptoControls(fake, symbols, node, session),
  };
}

/**
 * Schwab's reconnect delays and its 60 s stale window are fixed (no tuning): the session runs on a
 * fake clock, and `pump` fires the retry that is due whenever the session waits for one.
 */
async function openSchwab(): Promise<Venue> {
  const time = fakeClock();
  const credentials = { clientId: freshToken('schwab-app-key'), clientSecret: freshToken('schwab-app-secret'), refreshToken: freshToken('schwab-refresh') };
  const fake = await FakeSchwab.start({ ...credentials, now: time.clock.now, heartbeatMs: 0 });
  const symbols = ['SPY', 'AAPL', 'MSFT'];
  const session = new FeedSession(schwabProvider, settings('schwab', { restEndpoint: fake.restUrl, credentials }), { clock: time.clock });
  const channels: Channel[] = ['quote', 'trade', 'candle'];
  const node = streamNode(session, 'n1', { symbols, channels });
  let step = 0;
  let pumped: unknown = null;
  return {
    id: 'schwab', session, node, faults: fake.faults, symbols, channels,
    advance: async (ms) => void (await time.tickAsync(ms)),
    expected: sorted(symbols.flatMap((s) => [`LEVELONE_EQUITIES:${s}`, `CHART_EQUITY:${s}`])),
    held: () => (fake.openSockets === 1 ? fake.subscriptions() : null),
    subscribeCounts: () => {
      const counts = new Map<string, number>();
      for (const request of fake.commands.at(-1) ?? []) {
        if (request.command !== 'SUBS' && request.command !== 'ADD') continue;
        const keys = String((request.parameters as { keys?: string }).keys ?? '').split(',');
        for (const key of keys) count(counts, `${String(request.service)}:${key}`);
      }
      return counts;
    },
    isHandshake: (text) => text.includes('"LOGIN"'),
    isSubscribe: (text) => text.includes('"SUBS"'),
    subscribeFrames: 1,
    publish: () => {
      step += 1;
      const now = time.clock.now();
      for (const [i, symbol] of symbols.entries()) {
        const price = 100 * (i + 1) + step / 100;
        fake.publish('LEVELONE_EQUITIES', symbol, { '1': price, '2': price + 0.05, '3': price + 0.01, '4': 3, '5': 4, '9': 1 + (step % 5), '35': now, '37': now });
        const start = now - (now % 60_000);
        fake.publish('CHART_EQUITY', symbol, { '1': step, '2': price, '3': price + 1, '4': price - 1, '5': price, '6': 100 + step, '7': start, '8': 1 });
      }
    },
    pump: async () => {
      const status = session.status;
      if (status === pumped || status.retryInMs === undefined || (status.state !== 'reconnecting' && status.state !== 'stale' && status.state !== 'error')) return;
      pumped = status;
      await time.tickAsync(status.retryInMs);
    },
    stall: () => fake.stallAll(),
    resume: () => undefined,
    close: async () => {
      node.consumer.stop();
      await session.close();
      await fake.close();
    },
  };
}

async function openDxfeed(options: VenueOptions): Promise<Venue> {
  // DXLink's stale window is the keepaliveTimeout the server announces in SETUP.
  const keepaliveTimeoutS = Math.max(1, Math.round((options.staleAfterMs ?? 60_000) / 1000));
  const fake = await FakeDxlinkServer.start({ requireAuth: true, keepaliveTimeoutS, keepaliveIntervalMs: 200 });
  const token = freshToken('dxfeed-token');
  fake.tokens.set(token, Date.now() + 3_600_000);
  const symbols = ['AAPL', 'IBM', 'MSFT'];
  const session = new FeedSession(createDxfeedProvider({ backoff: BACKOFF }), settings('dxfeed', { endpoint: fake.url, credentials: { token } }));
  const channels: Channel[] = ['quote', 'trade', 'summary'];
  const node = streamNode(session, 'n1', { symbols, channels });
  let step = 0;
  return {
    id: 'dxfeed', session, node, faults: fake.faults, symbols, channels,
    expected: sorted(symbols.flatMap((s) => [`Quote:${s}`, `Trade:${s}`, `Summary:${s}`])),
    held: () => (fake.openSockets === 1 ? fake.subscriptions() : null),
    subscribeCounts: () => {
      const counts = new Map<string, number>();
      for (const frame of fake.frames.at(-1) ?? []) {
        if (frame.type !== 'FEED_SUBSCRIPTION') continue;
        for (const item of (frame.add ?? []) as Array<{ type: string; symbol: string }>) count(counts, `${item.type}:${item.symbol}`);
      }
      return counts;
    },
    isHandshake: (text) => text.includes('"AUTH"'),
    isSubscribe: (text) => /"(CHANNEL_REQUEST|FEED_SETUP|FEED_SUBSCRIPTION)"/.test(text),
    subscribeFrames: 3,
    publish: () => {
      step += 1;
      fake.publish(symbols.flatMap((symbol, i) => {
        const price = 100 * (i + 1) + step / 100;
        return [
          { eventType: 'Quote', eventSymbol: symbol, bidPrice: price, askPrice: price + 0.05, bidSize: 3, askSize: 4 },
          { eventType: 'Trade', eventSymbol: symbol, price, size: 1 + (step % 5), dayVolume: 1000 + step },
          { eventType: 'Summary', eventSymbol: symbol, dayOpenPrice: price, dayHighPrice: price + 1, dayLowPrice: price - 1, prevDayClosePrice: price, openInterest: step },
        ];
      }));
    },
    pump: async () => undefined,
    stall: () => fake.stallAll(),
    resume: () => undefined,
    close: async () => {
      node.consumer.stop();
      await session.close();
      await fake.close();
    },
  };
}
