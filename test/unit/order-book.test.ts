import assert from 'node:assert/strict';
import { OrderBook } from '../../src/book/order-book';

describe('OrderBook', () => {
  it('keeps bids high to low and asks low to high', () => {
    const book = new OrderBook();
    book.applySnapshot(
      [[99, 1], [101, 3], [100, 2]],
      [[103, 1], [102, 5], [104, 2]],
    );
    assert.deepEqual(book.bids.top(10), [[101, 3], [100, 2], [99, 1]]);
    assert.deepEqual(book.asks.top(2), [[102, 5], [103, 1]]);
    assert.equal(book.isCrossed(), false);
  });

  it('sets absolute sizes, deletes at zero, and ignores deleting an unknown level', () => {
    const book = new OrderBook();
    book.applySnapshot([[100, 2]], [[101, 2]]);
    book.applyDelta('bid', 100, 7);
    book.applyDelta('bid', 99.5, 1);
    book.applyDelta('ask', 101, 0);
    book.applyDelta('ask', 105, 0);
    book.applyDelta('ask', 102, 4);
    assert.deepEqual(book.bids.top(5), [[100, 7], [99.5, 1]]);
    assert.deepEqual(book.asks.top(5), [[102, 4]]);
    assert.equal(book.bids.sizeAt(99.5), 1);
    assert.equal(book.asks.sizeAt(101), undefined);
  });

  it('reports a crossed book', () => {
    const book = new OrderBook();
    book.applySnapshot([[100, 1]], [[101, 1]]);
    book.applyDelta('bid', 101, 1);
    assert.equal(book.isCrossed(), true);
    book.asks.removeBetterThan(101.5);
    book.bids.removeBetterThan(100.5);
    assert.equal(book.isCrossed(), false);
  });

  it('agrees with a sorted map over thousands of random updates', () => {
    const book = new OrderBook();
    const reference = { bid: new Map<number, number>(), ask: new Map<number, number>() };
    let seed = 7;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (let i = 0; i < 5000; i++) {
      const side = random() < 0.5 ? 'bid' : 'ask';
      const price = Math.round((side === 'bid' ? 90 + random() * 10 : 100 + random() * 10) * 100) / 100;
      const size = random() < 0.3 ? 0 : Math.round(random() * 1000) / 10;
      book.applyDelta(side, price, size);
      if (size > 0) reference[side].set(price, size);
      else reference[side].delete(price);
    }
    const expectBids = [...reference.bid].sort((a, b) => b[0] - a[0]);
    const expectAsks = [...reference.ask].sort((a, b) => a[0] - b[0]);
    assert.deepEqual(book.bids.top(1e6), expectBids);
    assert.deepEqual(book.asks.top(1e6), expectAsks);
  });
});
