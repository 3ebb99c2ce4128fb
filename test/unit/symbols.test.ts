import assert from 'node:assert/strict';
import { canonicalSymbol, splitSymbolList } from '../../src/model/symbols';

describe('symbol lists', () => {
  it('splits on commas and new lines, never on spaces, so padded OCC symbols survive', () => {
    assert.deepEqual(splitSymbolList('AAPL, SPY   261218P00450000\nBTC-USD,\r\n  ETH-USD  '), ['AAPL', 'SPY   261218P00450000', 'BTC-USD', 'ETH-USD']);
  });

  it('drops empty entries and duplicates, keeps order', () => {
    assert.deepEqual(splitSymbolList(',,AAPL,,AAPL,\n\nSPY,'), ['AAPL', 'SPY']);
    assert.deepEqual(splitSymbolList(''), []);
  });

  it('accepts an array (from an input msg) and ignores non-text entries', () => {
    assert.deepEqual(splitSymbolList(['AAPL', ' SPY ', 3, null, '']), ['AAPL', 'SPY']);
  });

  it('canonicalizes OCC symbols to the padded form and other symbols to upper case', () => {
    assert.equal(canonicalSymbol('spy261218p00450000'), 'SPY   261218P00450000');
    assert.equal(canonicalSymbol(' aapl '), 'AAPL');
  });
});
