import assert from 'node:assert/strict';
import { parseBookConfig, parseFlowConfig, parseSignalConfig } from '../../../src/analytics/config';
import { RepeatGate, readAnalyticsInput } from '../../../src/analytics/input';
import { MarketError } from '../../../src/model/errors';
import { FLOW_DEFAULTS } from '../../../src/model/flow';

const configError = (pattern: RegExp) => (err: unknown) => err instanceof MarketError && err.code === 'CONFIG' && pattern.test(err.message);

describe('analytics node settings', () => {
  it('flow-classify defaults are the simulator\'s labelling thresholds; editor strings are read as numbers', () => {
    const settings = parseFlowConfig({});
    assert.deepEqual(
      { windowMs: settings.windowMs, blockMinSize: settings.blockMinSize, blockMinPremiumUsd: settings.blockMinPremiumUsd, whaleMinPremiumUsd: settings.whaleMinPremiumUsd, atmBandPct: settings.atmBandPct },
      { ...FLOW_DEFAULTS },
    );
    assert.equal(settings.statsEveryMs, 10_000);
    assert.equal(settings.statsWindowMs, 300_000);
    assert.equal(parseFlowConfig({ windowMs: '750', statsEveryS: '0', whaleMinPremiumUsd: '' }).windowMs, 750);
    assert.equal(parseFlowConfig({ statsEveryS: '0' }).statsEveryMs, 0, '0 = off');
    assert.throws(() => parseFlowConfig({ windowMs: 'fast' }), configError(/Window \(windowMs\) must be a number from 1 to 60000 milliseconds, got "fast"/));
    assert.throws(() => parseFlowConfig({ topContracts: 2.5 }), configError(/Top contracts \(topContracts\) must be a whole number/));
  });

  it('book-analytics defaults and ranges', () => {
    assert.deepEqual(parseBookConfig({ name: 'x' }), { levels: 10, bandBps: 10, rateMs: 1000, spreadBpsAlert: 0, imbalanceAlert: 0.6, hysteresis: 0.2, cooldownMs: 30_000 });
    assert.throws(() => parseBookConfig({ imbalanceAlert: 1.5 }), configError(/Imbalance alert \(imbalanceAlert\) must be a number from 0 to 0.999 \(0 = off; \|imbalance\| never exceeds 1\), got 1.5/));
    assert.throws(() => parseBookConfig({ levels: 0 }), configError(/Levels \(levels\) must be a whole number from 1 to 1000/));
    assert.throws(() => parseBookConfig({ rateMs: -1 }), configError(/Rate \(rateMs\) must be a number ≥ 0/));
  });

  it('signal: the threshold defaults per method; fast must be shorter than slow', () => {
    assert.equal(parseSignalConfig({ method: 'zscore', threshold: '' }).threshold, 2);
    assert.equal(parseSignalConfig({ method: 'roc' }).threshold, 0.5);
    assert.equal(parseSignalConfig({ method: 'ema', threshold: '0' }).threshold, 0);
    assert.equal(parseSignalConfig({ barS: '0.5' }).barMs, 500);
    assert.throws(() => parseSignalConfig({ method: 'macd' }), configError(/Method \(method\) must be one of roc, ema, vwap, zscore, got "macd"/));
    assert.throws(() => parseSignalConfig({ fast: 26, slow: 12 }), configError(/Fast EMA \(fast\) must be shorter than Slow EMA \(slow\), got fast 26 and slow 12/));
    assert.doesNotThrow(() => parseSignalConfig({ method: 'roc', fast: 26, slow: 12 }), 'EMA lengths do not matter for ROC');
  });
});

describe('analytics input', () => {
  it('tells events, stream status and unusable msgs apart, with a reason to act on', () => {
    const wall = 1_700_000_000_000;
    assert.deepEqual(readAnalyticsInput({ type: 'status', state: 'resyncing', symbol: 'X' }, wall), { kind: 'status', status: { state: 'resyncing', symbol: 'X', ts: wall } });
    assert.deepEqual(readAnalyticsInput({ type: 'health', msgsPerSec: 1 }, wall), { kind: 'ignored' });
    assert.equal(readAnalyticsInput({ type: 'trade', symbol: 'X', ts: 1, price: 1, size: 1 }, wall).kind, 'event');
    const cases: Array<[unknown, RegExp]> = [
      ['hello', /msg.payload is not a market event \(got "hello"\): wire a market-stream-in/],
      [{ type: 'trade', symbol: 'X', ts: 1, price: '1.5', size: 1 }, /trade msg for X has no usable price and size/],
      [{ type: 'quote', symbol: 'X', ts: 1, bid: 0, ask: undefined }, /quote msg for X has no usable bid and ask/],
      [{ type: 'trade', symbol: 'X', price: 1, size: 1 }, /needs symbol and ts/],
      [{ type: 'tick', symbol: 'X', ts: 1 }, /msg.payload.type "tick" is not a market event type/],
    ];
    for (const [payload, pattern] of cases) {
      const input = readAnalyticsInput(payload, wall);
      assert.ok(input.kind === 'invalid' && pattern.test(input.reason), JSON.stringify(input));
    }
  });

  it('lets the same problem through once a minute', () => {
    const gate = new RepeatGate(60_000);
    assert.deepEqual([gate.allow('a', 0), gate.allow('a', 59_999), gate.allow('b', 1), gate.allow('a', 60_000)], [true, false, true, true]);
  });
});
