import assert from 'node:assert/strict';
import { AlertGate, describeAlert, parseQuietHours, type AlertFacts, type GateOutput } from '../../../src/alerts';
import { fakeClock } from '../../helpers/fake-clock';

const whale = (contract: string, size: number, premiumUsd: number) => ({
  type: 'flow',
  provider: 'sim',
  symbol: contract,
  option: { underlying: 'SPY', right: 'call', strike: 600, expiry: '2026-11-20' },
  ts: 0,
  price: premiumUsd / size / 100,
  size,
  premiumUsd,
  kind: 'SWEEP',
  whale: true,
  side: 'ask',
  sentiment: 'bullish',
  exchanges: ['CBOE', 'ISE'],
});

function gateWith(settings: Partial<ConstructorParameters<typeof AlertGate>[0]> = {}, start?: number) {
  const time = fakeClock(start);
  const out: GateOutput<string>[] = [];
  const gate = new AlertGate<string>({ cooldownS: 60, maxPerMin: 0, quietHours: null, ...settings }, time.clock, (o) => out.push(o));
  return { gate, out, time };
}
const factsOf = (payload: unknown): AlertFacts => {
  const facts = describeAlert(payload);
  assert.ok(facts);
  return facts;
};

describe('alert text (src/alerts)', () => {
  it('puts the contract, size and premium of a whale print in the subject and the text, keyed by whale + underlying', () => {
    const facts = factsOf(whale('SPY   261120C00600000', 250, 105_000));
    assert.equal(facts.key, 'whale|SPY');
    assert.equal(facts.subject, 'Whale SWEEP SPY   261120C00600000: 250 contracts @ 4.2 premium $105,000');
    assert.match(facts.text, /^Whale SWEEP .*\nUnderlying SPY, bullish, side ask\nExchanges CBOE, ISE$/);
    assert.ok(facts.html.startsWith('<b>Whale SWEEP'));
  });

  it('escapes HTML in what it quotes and ignores events that are not alerts', () => {
    const facts = factsOf({ type: 'alert', kind: 'spread', symbol: 'BTC-USD', ts: 0, detail: 'spread <wide> & rising' });
    assert.equal(facts.key, 'alert:spread|BTC-USD');
    assert.ok(facts.html.includes('spread &lt;wide&gt; &amp; rising'));
    assert.equal(describeAlert({ type: 'quote', symbol: 'BTC-USD' }), null);
    assert.equal(describeAlert({ type: 'status', state: 'connected' }), null);
    assert.equal(factsOf({ type: 'status', state: 'stale', detail: 'no frames for 30 s' }).subject, 'Stream stale (feed)');
    assert.equal(factsOf({ type: 'signal', symbol: 'ETH-USD', side: 'buy', previous: 'flat', method: 'ema', value: 0.031, price: 3000 }).subject, 'Signal BUY ETH-USD @ 3000');
  });
});

describe('AlertGate (src/alerts, fake clock)', () => {
  it('sends 1 of 100 identical alerts inside one cooldown, then exactly 1 summary counting the 99 others', () => {
    const { gate, out, time } = gateWith();
    const facts = factsOf(whale('SPY   261120C00600000', 250, 105_000));
    for (let i = 0; i < 100; i += 1) {
      gate.offer(facts, `w${i}`);
      time.tick(500);
    }
    assert.equal(out.length, 1);
    assert.equal(out[0]?.summary, null);
    assert.equal(out[0]?.item, 'w0');
    time.tick(10_000);
    assert.equal(out.length, 2);
    assert.deepEqual(out[1]?.summary && { count: out[1].summary.count, text: out[1].summary.text }, { count: 99, text: '99 more whale prints on SPY in the last 1 min' });
    time.tick(600_000);
    assert.equal(out.length, 2, 'no further summary once the window closed');
    gate.offer(facts, 'again');
    assert.equal(out.length, 3, 'the next alert after the window goes out');
    assert.equal(out[2]?.summary, null);
  });

  it('sends no summary when nothing was held, and keys apart (another underlying) go out at once', () => {
    const { gate, out, time } = gateWith({ cooldownS: 5 });
    gate.offer(factsOf(whale('SPY   261120C00600000', 250, 105_000)), 'spy');
    gate.offer(factsOf({ ...whale('QQQ   261120P00500000', 300, 120_000), option: { underlying: 'QQQ' } }), 'qqq');
    time.tick(60_000);
    assert.deepEqual(out.map((o) => [o.item, o.summary]), [['spy', null], ['qqq', null]]);
    assert.equal(gate.openKeys, 0);
  });

  it('caps sends at maxPerMin over any 60 s and summarizes the held ones per key', () => {
    const { gate, out, time } = gateWith({ cooldownS: 30, maxPerMin: 3 });
    for (let i = 0; i < 5; i += 1) gate.offer(factsOf({ type: 'signal', symbol: `S${i}`, side: 'buy' }), `s${i}`);
    assert.deepEqual(out.map((o) => o.item), ['s0', 's1', 's2']);
    time.tick(30_000);
    const summaries = out.filter((o) => o.summary);
    assert.deepEqual(summaries.map((o) => o.summary?.text), ['1 signal changes on S3 in the last 30 s', '1 signal changes on S4 in the last 30 s']);
  });

  it('holds everything in quiet hours (across midnight) and summarizes when they end', () => {
    // 21:59 UTC; quiet 22:00-07:00.
    const { gate, out, time } = gateWith({ quietHours: parseQuietHours('22:00-07:00') }, Date.UTC(2026, 10, 20, 21, 59, 0));
    const facts = factsOf(whale('SPY   261120C00600000', 250, 105_000));
    gate.offer(facts, 'before');
    assert.equal(out.length, 1);
    time.tick(2 * 60_000);
    out.length = 0;
    for (let i = 0; i < 12; i += 1) {
      gate.offer(facts, `night${i}`);
      time.tick(20 * 60_000);
    }
    assert.equal(out.length, 0, 'nothing at night');
    time.tick(9 * 3600_000);
    assert.equal(out.length, 1);
    assert.equal(out[0]?.summary?.count, 12);
    assert.equal(out[0]?.summary?.text, '12 whale prints on SPY in the last 9 h');
    assert.equal(new Date(time.clock.now()).getUTCHours() >= 7, true);
  });

  it('rejects quiet hours it cannot read, with the expected form', () => {
    assert.throws(() => parseQuietHours('late'), /HH:MM-HH:MM/);
    assert.throws(() => parseQuietHours('25:00-01:00'), /00:00 to 23:59/);
    assert.throws(() => parseQuietHours('22:00-07:00', 'Mars/Base'), /time zone/);
    assert.equal(parseQuietHours('  '), null);
  });

  it('leaves no timer behind after dispose', () => {
    const { gate, out, time } = gateWith();
    gate.offer(factsOf(whale('SPY   261120C00600000', 250, 105_000)), 'a');
    gate.offer(factsOf(whale('SPY   261120C00600000', 250, 105_000)), 'b');
    gate.dispose();
    time.tick(3600_000);
    assert.equal(out.length, 1);
    assert.equal(gate.openKeys, 0);
  });
});
