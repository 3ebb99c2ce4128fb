import assert from 'node:assert/strict';
import type { MarketEvent, TradeEvent } from '../../src/model/events';
import { MarketError } from '../../src/model/errors';
import { FLOW_DEFAULTS } from '../../src/model/flow';
import { parseOccSymbol } from '../../src/model/occ';
import { FeedSession, type SubscriptionRequest } from '../../src/session/feed-session';
import { simProvider } from '../../src/providers/sim';
import { chainExpiries } from '../../src/providers/sim/universe';
import { isSimPrint, type SimTradeEvent } from '../../src/providers/sim/flow-plan';
import { fakeClock } from '../helpers/fake-clock';

const START = Date.UTC(2026, 10, 20, 15, 0, 0); // Friday 20 Nov 2026, 10:00 New York

/** Runs the sim under fake time and returns every event it sent. */
function runSim(requests: SubscriptionRequest[], ms: number, options: Record<string, unknown> = { seed: 42 }) {
  const { clock, tick } = fakeClock(START);
  const session = new FeedSession(simProvider, { provider: 'sim', endpoint: '', restEndpoint: '', feed: '', options, credentials: {} }, { clock });
  const events: MarketEvent[] = [];
  const errors: MarketError[] = [];
  session.attach({ id: 'u', onEvent: (e) => events.push(e), onStatus: () => undefined, onError: (e) => errors.push(e) });
  session.subscribe('u', requests);
  for (let t = 0; t < ms; t += 1000) tick(1000);
  void session.close();
  return { events, errors };
}

const strip = (events: MarketEvent[]): unknown[] => events.map(({ receivedAt: _r, ...rest }) => rest);

describe('sim provider', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const requests: SubscriptionRequest[] = [{ channel: 'quote', symbol: 'BTC-USD' }, { channel: 'trade', symbol: 'AAPL' }, { channel: 'trade', symbol: 'SPY*' }];
    const one = runSim(requests, 20_000, { seed: 7 });
    const two = runSim(requests, 20_000, { seed: 7 });
    const other = runSim(requests, 20_000, { seed: 8 });
    assert.ok(one.events.length > 100, `${one.events.length} events`);
    assert.deepEqual(strip(one.events), strip(two.events));
    assert.notDeepEqual(strip(one.events), strip(other.events));
  });

  it('keeps quotes, books and trades coherent', () => {
    const { events } = runSim([{ channel: 'quote', symbol: 'AAPL' }, { channel: 'book', symbol: 'AAPL', depth: 5 }, { channel: 'trade', symbol: 'AAPL' }], 30_000);
    let lastBook: Extract<MarketEvent, { type: 'book' }> | null = null;
    let books = 0;
    let trades = 0;
    for (const event of events) {
      if (event.type === 'book') {
        books += 1;
        assert.equal(event.bids.length, 5);
        for (let i = 1; i < 5; i++) {
          assert.ok(event.bids[i]![0] < event.bids[i - 1]![0], 'bids descend');
          assert.ok(event.asks[i]![0] > event.asks[i - 1]![0], 'asks ascend');
        }
        assert.ok(event.bids[0]![0] < event.asks[0]![0], 'never crossed');
        lastBook = event;
      } else if (event.type === 'quote') {
        assert.ok(lastBook, 'book first');
        assert.equal(event.bid, lastBook.bids[0]![0], 'quote is the top of the book');
        assert.equal(event.ask, lastBook.asks[0]![0]);
        assert.ok((event.bid as number) < (event.ask as number));
      } else if (event.type === 'trade') {
        trades += 1;
        assert.ok(event.price > 0 && event.size > 0);
        assert.ok(event.side === 'buy' || event.side === 'sell');
        assert.equal(typeof event.exchange, 'string');
      }
    }
    assert.ok(books > 100 && trades > 50, `${books} books, ${trades} trades`);
  });

  it('builds candles from its trades and closes each bucket once', () => {
    const { events } = runSim([{ channel: 'candle', symbol: 'BTC-USD', interval: '5s' }, { channel: 'trade', symbol: 'BTC-USD' }], 60_000);
    const closed = events.filter((e): e is Extract<MarketEvent, { type: 'candle' }> => e.type === 'candle' && e.closed);
    assert.ok(closed.length >= 10, `${closed.length} closed candles`);
    const starts = closed.map((c) => c.start);
    assert.equal(new Set(starts).size, starts.length, 'each bucket closes once');
    const trades = events.filter((e): e is TradeEvent => e.type === 'trade');
    for (const candle of closed) {
      const inBucket = trades.filter((t) => t.ts >= candle.start && t.ts < candle.end);
      assert.equal(candle.end - candle.start, 5000);
      assert.equal(candle.open, inBucket[0]!.price);
      assert.equal(candle.close, inBucket.at(-1)!.price);
      assert.equal(candle.high, Math.max(...inBucket.map((t) => t.price)));
      assert.equal(candle.low, Math.min(...inBucket.map((t) => t.price)));
      assert.ok(Math.abs((candle.volume as number) - inBucket.reduce((s, t) => s + t.size, 0)) < 1e-6);
    }
  });

  it('prices option chains: OCC symbols, option fields, greeks in the model\'s units', () => {
    const { events } = runSim([{ channel: 'greeks', symbol: 'SPY*' }, { channel: 'quote', symbol: 'SPY*' }], 5_000);
    const greeks = events.filter((e): e is Extract<MarketEvent, { type: 'greeks' }> => e.type === 'greeks');
    const expiries = chainExpiries(START);
    assert.deepEqual(expiries, ['2026-11-27', '2026-12-04', '2026-12-11', '2026-12-18']);
    assert.equal(new Set(greeks.map((g) => g.symbol)).size, 4 * 17 * 2, 'every listed contract');
    for (const g of greeks) {
      const parts = parseOccSymbol(g.symbol);
      assert.ok(parts && g.symbol.length === 21, g.symbol);
      assert.deepEqual(g.option, { underlying: 'SPY', expiry: parts.expiry, right: parts.right, strike: parts.strike, multiplier: 100 });
      assert.ok((g.iv as number) > 0.05 && (g.iv as number) < 1, `iv ${g.iv} is a fraction`);
      if (g.option!.right === 'call') assert.ok((g.delta as number) > 0 && (g.delta as number) < 1);
      else assert.ok((g.delta as number) < 0 && (g.delta as number) > -1);
      if (g.option!.right === 'call') assert.ok((g.theta as number) < 0, 'calls decay (a deep ITM European put may not)');
      assert.ok((g.gamma as number) > 0 && (g.vega as number) > 0);
    }
  });

  it('sends sparse events with values absent or null, never a fake 0', () => {
    const { events } = runSim(
      [
        { channel: 'quote', symbol: 'SPY*' },
        { channel: 'summary', symbol: 'TSLA*' },
        { channel: 'summary', symbol: 'BTC-USD' },
        { channel: 'trade', symbol: 'BTC-USD' },
        { channel: 'trade', symbol: 'TSLA*' },
      ],
      20_000,
    );
    const numericFields = ['bid', 'bidSize', 'ask', 'askSize', 'price', 'size', 'open', 'high', 'low', 'prevClose', 'volume', 'openInterest', 'vwap'];
    for (const event of events) {
      for (const field of numericFields) {
        const value = (event as unknown as Record<string, unknown>)[field];
        assert.notEqual(value, 0, `${event.type} ${event.symbol} ${field} is 0`);
      }
    }
    const noBid = events.filter((e) => e.type === 'quote' && e.bid === null);
    assert.ok(noBid.length > 0, 'far out-of-the-money contracts quote without a bid');
    for (const quote of noBid) assert.ok(quote.type === 'quote' && quote.bidSize === null && !('bidExchange' in quote));
    const cryptoTrades = events.filter((e) => e.type === 'trade' && e.symbol === 'BTC-USD');
    assert.ok(cryptoTrades.length > 0 && cryptoTrades.every((t) => !('exchange' in t)), 'a crypto venue is its own exchange: no exchange field');
    const cryptoSummary = events.find((e) => e.type === 'summary' && e.symbol === 'BTC-USD');
    assert.ok(cryptoSummary && !('openInterest' in cryptoSummary), 'no open interest on spot crypto');
  });

  it('labels its option orders so that each label matches the flow definitions', () => {
    const { events } = runSim([{ channel: 'trade', symbol: 'SPY*' }, { channel: 'trade', symbol: 'NVDA*' }, { channel: 'quote', symbol: 'SPY*' }, { channel: 'quote', symbol: 'NVDA*' }], 600_000);
    const prints = events.filter(isSimPrint);
    const orders = new Map<string, SimTradeEvent[]>();
    for (const p of prints) orders.set(p.sim!.orderId, [...(orders.get(p.sim!.orderId) ?? []), p]);
    const kinds: Record<string, number> = {};
    let whales = 0;
    for (const [id, legs] of orders) {
      const label = legs[0]!.sim!;
      kinds[label.kind] = (kinds[label.kind] ?? 0) + 1;
      assert.equal(legs.length, label.legs, `${id} legs`);
      assert.ok(legs.every((l) => l.symbol === legs[0]!.symbol && l.price === legs[0]!.price && l.side === legs[0]!.side), `${id}: one contract, one price, one side`);
      const premium = legs.reduce((sum, l) => sum + l.price * l.size * 100, 0);
      const span = legs.at(-1)!.ts - legs[0]!.ts;
      const exchanges = new Set(legs.map((l) => l.exchange));
      if (label.whale) whales += 1;
      assert.equal(label.whale, premium >= FLOW_DEFAULTS.whaleMinPremiumUsd, `${id} whale flag vs premium ${premium}`);
      const isBlockPrint = (l: TradeEvent): boolean => l.size >= FLOW_DEFAULTS.blockMinSize || l.price * l.size * 100 >= FLOW_DEFAULTS.blockMinPremiumUsd;
      switch (label.kind) {
        case 'SWEEP':
          assert.ok(legs.length >= 2 && exchanges.size === legs.length && span < FLOW_DEFAULTS.windowMs, `${id} sweep`);
          assert.ok(!legs.some(isBlockPrint));
          break;
        case 'SPLIT':
          assert.ok(legs.length >= 2 && exchanges.size === 1 && span < FLOW_DEFAULTS.windowMs, `${id} split`);
          assert.ok(!legs.some(isBlockPrint));
          break;
        case 'BLOCK':
          assert.ok(legs.length === 1 && isBlockPrint(legs[0]!), `${id} block`);
          break;
        case 'SINGLE':
          assert.ok(legs.length === 1 && !isBlockPrint(legs[0]!), `${id} single`);
          break;
      }
    }
    for (const kind of ['SWEEP', 'SPLIT', 'BLOCK', 'SINGLE']) assert.ok((kinds[kind] ?? 0) >= 10, `${kind}: ${kinds[kind] ?? 0}`);
    assert.ok(whales >= 10, `${whales} whales`);

    // Orders on one contract never come close enough to be merged by a classifier window.
    const byContract = new Map<string, SimTradeEvent[]>();
    for (const p of prints) byContract.set(p.symbol, [...(byContract.get(p.symbol) ?? []), p]);
    for (const [symbol, list] of byContract) {
      for (let i = 1; i < list.length; i++) {
        if (list[i]!.sim!.orderId !== list[i - 1]!.sim!.orderId) {
          assert.ok(list[i]!.ts - list[i - 1]!.ts > FLOW_DEFAULTS.windowMs, `${symbol}: orders ${list[i - 1]!.sim!.orderId} and ${list[i]!.sim!.orderId} too close`);
        }
      }
    }

    // Every print happened at the contract's quoted bid, ask or mid at that moment.
    const quotes = new Map<string, { bid: number | null; ask: number | null }>();
    for (const event of events) {
      if (event.type === 'quote') quotes.set(event.symbol, { bid: event.bid, ask: event.ask });
      else if (isSimPrint(event)) {
        const q = quotes.get(event.symbol);
        assert.ok(q, 'a quote precedes every print');
        const mid = Math.round((((q.bid ?? 0) + (q.ask ?? 0)) / 2) * 100) / 100;
        const expected = event.side === 'buy' ? q.ask : event.side === 'sell' ? q.bid : mid;
        assert.equal(event.price, expected, `${event.id} at ${event.side ?? 'mid'}`);
      }
    }
  });

  it('rejects unknown symbols at config time and impossible channel/symbol pairs at subscribe time', () => {
    assert.throws(() => simProvider.canonicalSymbol('XYZ'), (err: unknown) => err instanceof MarketError && err.code === 'CONFIG' && /sim has no symbol "XYZ"/.test(err.message));
    assert.throws(() => simProvider.canonicalSymbol('QQQ*'), /no option chain/);
    assert.throws(() => simProvider.canonicalSymbol('QQQ261218C00500000'), /no options on "QQQ"/);
    assert.equal(simProvider.canonicalSymbol(' btc-usd '), 'BTC-USD');
    assert.equal(simProvider.canonicalSymbol('spy261218c00600000'), 'SPY   261218C00600000');
    const { errors, events } = runSim([{ channel: 'greeks', symbol: 'AAPL' }, { channel: 'book', symbol: 'SPY*' }, { channel: 'quote', symbol: 'AAPL' }, { channel: 'quote', symbol: 'SPY   251219C00600000' }], 2_000);
    assert.deepEqual(errors.map((e) => [e.code, e.symbol]), [['SUBSCRIPTION', 'AAPL'], ['SUBSCRIPTION', 'SPY*'], ['SUBSCRIPTION', 'SPY   251219C00600000']]);
    assert.match(errors[2]!.message, /expired on 2025-12-19/);
    assert.ok(events.some((e) => e.type === 'quote' && e.symbol === 'AAPL'), 'the good subscription still streams');
  });

  it('validates its options', () => {
    const base = { provider: 'sim', endpoint: '', restEndpoint: '', feed: '', credentials: {} };
    assert.equal(simProvider.validateSettings({ ...base, options: {} }), null);
    assert.equal(simProvider.validateSettings({ ...base, options: { seed: 3, rate: 'max' } }), null);
    assert.match(simProvider.validateSettings({ ...base, options: { seed: 'x' } }) ?? '', /seed must be a whole number/);
    assert.match(simProvider.validateSettings({ ...base, options: { rate: 0 } }) ?? '', /rate must be/);
  });

  it('runs virtual time far ahead of the wall clock at rate "max"', async () => {
    const session = new FeedSession(simProvider, { provider: 'sim', endpoint: '', restEndpoint: '', feed: '', options: { seed: 1, rate: 'max' }, credentials: {} });
    let count = 0;
    session.attach({ id: 'u', onEvent: () => (count += 1), onStatus: () => undefined, onError: () => undefined });
    session.subscribe('u', [{ channel: 'trade', symbol: 'BTC-USD' }, { channel: 'quote', symbol: 'BTC-USD' }]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await session.close();
    // In real time these two streams give ~10 events/s; at full speed many thousands.
    assert.ok(count > 5_000, `${count} events in 0.5 s`);
  });
});
