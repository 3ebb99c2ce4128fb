import assert from 'node:assert/strict';
import { formatOccSymbol, occSymbolProblem, optionInfoFromOcc, parseOccSymbol, toOccSymbol, underlyingOfRoot } from '../../src/model/occ';
import { MarketError } from '../../src/model/errors';
import { parseStreamConfig, parseSubscriptionCommand } from '../../src/session/stream-config';
import { getProvider } from '../../src/providers/registry';
import type { ProviderDefinition } from '../../src/model/provider';

function provider(id: string): ProviderDefinition {
  const found = getProvider(id);
  if (!found) throw new Error(`no provider ${id}`);
  return found;
}
describe('OCC option symbols', () => {
  it('parses the padded form', () => {
    assert.deepEqual(parseOccSymbol('AAPL  250117C00150000'), { root: 'AAPL', expiry: '2025-01-17', right: 'call', strike: 150 });
  });

  it('parses the unpadded form and pads it back to six characters', () => {
    assert.deepEqual(parseOccSymbol('SPY261218P00450000'), { root: 'SPY', expiry: '2026-12-18', right: 'put', strike: 450 });
    assert.equal(toOccSymbol('SPY261218P00450000'), 'SPY   261218P00450000');
    assert.equal(toOccSymbol('  spy261218p00450000 '), 'SPY   261218P00450000');
  });

  it('keeps strike decimals to a tenth of a cent', () => {
    assert.equal(parseOccSymbol('SPXW  250321C05912500')?.strike, 5912.5);
    assert.equal(parseOccSymbol('F     250117C00012500')?.strike, 12.5);
    assert.equal(parseOccSymbol('XYZ   250117P00001125')?.strike, 1.125);
    assert.equal(parseOccSymbol('XYZ   250117P99999999')?.strike, 99999.999);
    assert.equal(formatOccSymbol({ root: 'XYZ', expiry: '2025-01-17', right: 'put', strike: 1.125 }), 'XYZ   250117P00001125');
  });

  it('accepts roots of one to six characters, including adjusted roots', () => {
    assert.equal(parseOccSymbol('F     250117C00012500')?.root, 'F');
    assert.equal(parseOccSymbol('GOOGL1250117C00150000')?.root, 'GOOGL1');
    assert.equal(parseOccSymbol('AAPL1 250117C00150000')?.root, 'AAPL1');
    assert.equal(toOccSymbol('AAPL1250117C00150000'), 'AAPL1 250117C00150000');
  });

  it('names the underlying of weekly index roots and adjusted roots', () => {
    assert.equal(underlyingOfRoot('SPXW'), 'SPX');
    assert.equal(underlyingOfRoot('NDXP'), 'NDX');
    assert.equal(underlyingOfRoot('AAPL1'), 'AAPL');
    assert.equal(underlyingOfRoot('AAPL'), 'AAPL');
    const parts = parseOccSymbol('SPXW  250321C05912500');
    assert.ok(parts);
    assert.deepEqual(optionInfoFromOcc(parts), { underlying: 'SPX', root: 'SPXW', expiry: '2025-03-21', right: 'call', strike: 5912.5, multiplier: 100 });
    assert.deepEqual(optionInfoFromOcc(parseOccSymbol('AAPL  250117C00150000')!), { underlying: 'AAPL', expiry: '2025-01-17', right: 'call', strike: 150, multiplier: 100 });
  });

  it('rejects what is not an OCC symbol', () => {
    for (const text of [
      'AAPL',
      'AAPL  250230C00150000', // 30 February
      'AAPL  251317C00150000', // month 13
      'AAPL  250117X00150000', // neither C nor P
      'AAPL  250117C0015000', // seven strike digits
      '1AAPL 250117C00150000', // root starts with a digit
      'TOOLONG250117C00150000', // seven-letter root
      'AA PL 250117C00150000', // space inside the root
      '.AAPL250117C150', // a provider's own notation, not OCC
      '',
    ]) {
      assert.equal(parseOccSymbol(text), null, text);
    }
  });

  it('refuses to format values OCC cannot carry', () => {
    assert.throws(() => formatOccSymbol({ root: 'AAPL', expiry: '2025-01-17', right: 'call', strike: 150.0001 }), /3 decimals/);
    assert.throws(() => formatOccSymbol({ root: 'AAPL', expiry: '2025-01-17', right: 'call', strike: 100000 }), /below 100000/);
    assert.throws(() => formatOccSymbol({ root: 'AAPL', expiry: '2025-01-17', right: 'call', strike: 0 }), /positive/);
    assert.throws(() => formatOccSymbol({ root: 'AAPL', expiry: '2025-02-30', right: 'call', strike: 150 }), /expiry/);
    assert.throws(() => formatOccSymbol({ root: 'TOOLONG', expiry: '2025-01-17', right: 'call', strike: 150 }), /root/);
  });

  it('round-trips every root length, both rights and many strikes', () => {
    const roots = ['F', 'GE', 'SPY', 'AAPL', 'GOOGL', 'GOOGL1', 'SPXW', 'AAPL1'];
    let checked = 0;
    for (const root of roots) {
      for (const right of ['call', 'put'] as const) {
        for (let milli = 1; milli < 1e8; milli = milli * 7 + 13) {
          const strike = milli / 1000;
          const parts = { root, expiry: '2027-06-18', right, strike };
          const text = formatOccSymbol(parts);
          assert.equal(text.length, 21);
          assert.deepEqual(parseOccSymbol(text), parts);
          assert.equal(formatOccSymbol(parseOccSymbol(text)!), text);
          assert.equal(toOccSymbol(text.replace(/ +/, '')), text);
          checked += 1;
        }
      }
    }
    assert.ok(checked > 100);
  });
});

describe('near-OCC typos are configuration errors that say which part is wrong', () => {
  const providers = ['sim', 'schwab', 'tastytrade', 'dxfeed', 'binance', 'coinbase', 'kraken'].map(provider);
  const cases: Array<[string, RegExp]> = [
    ['SPY   26121XP00450000', /its expiry "26121X" is not six digits YYMMDD/],
    ['SPY   261318P00450000', /its expiry 261318 has month 13; months are 01–12/],
    ['SPY261131C00450000', /its expiry 261131 has day 31, which month 11 does not have/],
    ['SPY   261218Q00450000', /its right is "Q"; use C \(call\) or P \(put\)/],
    ['SPY261218P450', /its strike "450" has 3 digits, not 8 \(dollars × 1000: 00450000 is 450\)/],
    ['SPY   261218P004500000', /its strike "004500000" has 9 digits, not 8/],
  ];
  for (const [symbol, reason] of cases) {
    it(`${JSON.stringify(symbol)}: ${reason.source.replace(/\\/g, '')}`, () => {
      assert.match(occSymbolProblem(symbol) ?? '', reason);
      for (const definition of providers) {
        const channel = definition.channels[0]!;
        assert.throws(() => parseStreamConfig({ symbols: `${symbol}, AAPL`, channels: [channel] }, definition), (err: unknown) => err instanceof MarketError && err.code === 'CONFIG' && reason.test(err.message) && err.message.includes(symbol.trim()), definition.id);
        assert.throws(() => parseSubscriptionCommand({ action: 'subscribe', symbols: [symbol] }, definition, [channel]), reason, `${definition.id}, msg`);
      }
    });
  }

  it('valid OCC symbols and every provider\'s own notation still pass', () => {
    for (const text of ['SPY   261218P00450000', 'SPY261218P00450000', 'BTCUSDT', 'BTC-USD', 'BTC/USD', 'AAPL', '.SPY261218P450', '/ESZ25', 'ESZ25', 'SPY*', 'BRK.B', '']) {
      assert.equal(occSymbolProblem(text), null, text);
    }
    assert.deepEqual(parseStreamConfig({ symbols: 'SPY261218P00450000, AAPL', channels: ['quote'] }, provider('schwab')).symbols, ['SPY   261218P00450000', 'AAPL']);
    assert.deepEqual(parseStreamConfig({ symbols: '.SPY261218P450', channels: ['quote'] }, provider('tastytrade')).symbols.length, 1);
    assert.deepEqual(parseStreamConfig({ symbols: 'BTCUSDT', channels: ['trade'] }, provider('binance')).symbols, ['BTCUSDT']);
  });
});

