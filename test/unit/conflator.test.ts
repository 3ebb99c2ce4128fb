import assert from 'node:assert/strict';
import type { MarketEvent, QuoteEvent, TradeEvent } from '../../src/model/events';
import { Conflator } from '../../src/session/conflator';
import { fakeClock } from '../helpers/fake-clock';

function quote(symbol: string, bid: number, ts: number): QuoteEvent {
  return { type: 'quote', provider: 'test', symbol, ts, receivedAt: ts, bid, bidSize: 1, ask: bid + 1, askSize: 1 };
}
function trade(symbol: string, price: number, size: number, ts: number): TradeEvent {
  return { type: 'trade', provider: 'test', symbol, ts, receivedAt: ts, price, size, id: String(ts) };
}

describe('Conflator (throttleMs)', () => {
  it('sends the first event at once, then at most one per symbol and channel per period, latest wins', () => {
    const { clock, tick } = fakeClock();
    const sent: MarketEvent[] = [];
    const conflator = new Conflator(1000, clock, (event) => sent.push(event));
    conflator.push(quote('A', 1, 0));
    conflator.push(quote('A', 2, 1));
    conflator.push(quote('A', 3, 2));
    conflator.push(quote('B', 10, 3));
    assert.deepEqual(sent.map((e) => [e.symbol, (e as QuoteEvent).bid]), [['A', 1], ['B', 10]]);
    tick(999);
    assert.equal(sent.length, 2, 'nothing before the period ends');
    tick(600);
    assert.deepEqual(sent.map((e) => [e.symbol, (e as QuoteEvent).bid]), [['A', 1], ['B', 10], ['A', 3]]);
    assert.equal(conflator.dropped, 1, 'quote 2 was replaced by quote 3');
    conflator.stop();
  });

  it('folds trades into one msg with count, summed size, VWAP and the last price', () => {
    const { clock, tick } = fakeClock();
    const sent: MarketEvent[] = [];
    const conflator = new Conflator(500, clock, (event) => sent.push(event));
    conflator.push(trade('A', 10, 1, 0));
    conflator.push(trade('A', 11, 2, 1));
    conflator.push(trade('A', 12, 3, 2));
    tick(750);
    assert.equal(sent.length, 2);
    assert.deepEqual(sent[0], trade('A', 10, 1, 0));
    const folded = sent[1] as TradeEvent;
    assert.equal(folded.count, 2);
    assert.equal(folded.size, 5);
    assert.equal(folded.price, 12);
    assert.equal(folded.id, '2');
    assert.equal(folded.vwap, (11 * 2 + 12 * 3) / 5);
    assert.equal(conflator.dropped, 0, 'folding is not dropping');
    const total = sent.reduce((sum, e) => sum + (e as TradeEvent).size, 0);
    assert.equal(total, 6, 'no volume lost');
    conflator.stop();
  });

  it('keeps one pending event per key whatever the input rate, and stops its timer when idle', () => {
    const { clock, tick } = fakeClock();
    let sent = 0;
    const conflator = new Conflator(100, clock, () => (sent += 1));
    for (let i = 0; i < 100_000; i++) conflator.push(quote(`S${i % 10}`, i, i));
    assert.equal(sent, 10);
    assert.equal(conflator.dropped, 100_000 - 10 - 10);
    tick(200);
    assert.equal(sent, 20);
    tick(1000);
    assert.equal(sent, 20, 'no repeats when nothing new arrived');
    conflator.stop();
  });
});
