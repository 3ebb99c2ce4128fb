import assert from 'node:assert/strict';
import { crc32 } from 'node:zlib';
import { OrderBook } from '../../../src/book/order-book';
import { SyncedBook } from '../../../src/book/synced-book';
import { SendPacer } from '../../../src/transport/send-pacer';
import { fakeClock } from '../../helpers/fake-clock';

describe('book engine additions for the venues', () => {
  it('keeps the venue\'s text of each level in step with the numbers, through inserts, deletes and truncation', () => {
    const book = new OrderBook({ keepText: true });
    book.asks.setText('1797.30', '139.09783403');
    book.asks.setText('1797.25', '1.40355852');
    book.asks.setText('1797.29', '139.09899871');
    book.asks.setText('1797.29', '0.00000000');
    book.asks.setText('1797.28', '10.82400000');
    book.bids.setText('1797.24', '0.43393711');
    book.bids.set(1797.2, 5); // numbers only: text derived from the number
    assert.deepEqual(book.asks.prices, [1797.25, 1797.28, 1797.3]);
    assert.deepEqual(book.asks.priceTexts, ['1797.25', '1797.28', '1797.30']);
    assert.deepEqual(book.asks.sizeTexts, ['1.40355852', '10.82400000', '139.09783403']);
    assert.deepEqual(book.bids.priceTexts, ['1797.24', '1797.2']);
    book.asks.truncate(2);
    assert.deepEqual(book.asks.sizeTexts, ['1.40355852', '10.82400000']);
    book.asks.removeBetterThan(1797.26);
    assert.deepEqual([book.asks.prices, book.asks.priceTexts], [[1797.28], ['1797.28']]);
  });

  it('leaves books without keepText as they were: no text kept', () => {
    const book = new OrderBook();
    book.applySnapshot([[100, 1]], [[101, 2]]);
    book.asks.setText('102.50', '3.0');
    assert.deepEqual(book.asks.top(5), [[101, 2], [102.5, 3]]);
    assert.deepEqual(book.asks.priceTexts, []);
  });

  it('has the standard CRC-32 Kraken\'s checksum uses, from node:zlib (check value of "123456789" is 0xCBF43926)', () => {
    assert.equal(crc32('123456789'), 0xcbf43926);
    assert.equal(crc32(''), 0);
  });

  it('builds book events only while synced, reports resyncing/synced once per loss, and never hands out a crossed book', () => {
    const statuses: string[] = [];
    const synced = new SyncedBook({ provider: 'x', symbol: 'AB', onStatus: (state, detail) => statuses.push(`${state}: ${detail}`) });
    assert.equal(synced.toEvent(5, 1, 2), null, 'not synced before the first snapshot');
    synced.book.applySnapshot([[99, 1], [98, 2]], [[101, 3]]);
    assert.equal(synced.markSynced('first'), true);
    assert.deepEqual(statuses, [], 'the first sync is not news');
    assert.deepEqual(synced.toEvent(1, 1000, 1001, 7), { type: 'book', provider: 'x', symbol: 'AB', ts: 1000, receivedAt: 1001, bids: [[99, 1]], asks: [[101, 3]], depth: 1, seq: 7 });
    synced.lose('gap');
    synced.lose('gap again');
    assert.equal(synced.toEvent(5, 1, 2), null);
    assert.equal(synced.book.bids.length, 0, 'levels dropped');
    synced.book.applySnapshot([[102, 1]], [[101, 3]]);
    assert.equal(synced.markSynced('crossed snapshot'), false, 'a crossed snapshot is refused');
    synced.book.applySnapshot([[100, 1]], [[101, 3]]);
    assert.equal(synced.markSynced('fresh snapshot'), true);
    synced.book.applyDelta('bid', 101.5, 1);
    assert.equal(synced.toEvent(5, 1, 2), null, 'crossed after an update: no event, sync lost');
    assert.equal(synced.isSynced, false);
    assert.deepEqual(statuses, ['resyncing: gap', 'synced: fresh snapshot', 'resyncing: crossed book (best bid at or above best ask)']);
  });
});

describe('SendPacer', () => {
  it('spaces messages evenly at the given rate and keeps their order', () => {
    const { clock, tick } = fakeClock();
    const sent: Array<[number, string]> = [];
    const start = clock.now();
    const pacer = new SendPacer(clock, 4, (text) => sent.push([clock.now() - start, text]));
    for (const text of ['a', 'b', 'c', 'd', 'e', 'f']) pacer.push(text);
    assert.deepEqual(sent, [[0, 'a']]);
    assert.equal(pacer.pending, 5);
    tick(1_300);
    assert.deepEqual(sent, [[0, 'a'], [250, 'b'], [500, 'c'], [750, 'd'], [1000, 'e'], [1250, 'f']]);
    tick(5_000);
    pacer.push('g');
    assert.deepEqual(sent.at(-1), [6_300, 'g'], 'after a quiet spell the next message goes out at once');
  });

  it('drops waiting messages on clear()', () => {
    const { clock, tick } = fakeClock();
    const sent: string[] = [];
    const pacer = new SendPacer(clock, 2, (text) => sent.push(text));
    pacer.push('a');
    pacer.push('b');
    pacer.clear();
    tick(2_000);
    assert.deepEqual(sent, ['a']);
  });
});
