import assert from 'node:assert/strict';
import { NewYorkCalendar, daysToExpiry, flowKindOf, moneynessOf, premiumUsdOf, sentimentOf, sideVsNbbo } from '../../../src/analytics/option-flow';
import { FLOW_DEFAULTS } from '../../../src/model/flow';

describe('option-flow rules', () => {
  describe('side against the NBBO', () => {
    const nbbo = { bid: 1.0, ask: 1.1 };

    it('at the ask and at the bid', () => {
      assert.equal(sideVsNbbo(1.1, nbbo), 'ask');
      assert.equal(sideVsNbbo(1.0, nbbo), 'bid');
    });

    it('outside the NBBO', () => {
      assert.equal(sideVsNbbo(1.12, nbbo), 'above-ask');
      assert.equal(sideVsNbbo(1.11, nbbo), 'above-ask');
      assert.equal(sideVsNbbo(0.99, nbbo), 'below-bid');
    });

    it('strictly inside the spread is mid, wherever inside', () => {
      assert.equal(sideVsNbbo(1.05, nbbo), 'mid');
      assert.equal(sideVsNbbo(1.01, nbbo), 'mid');
      assert.equal(sideVsNbbo(1.09, nbbo), 'mid');
    });

    it('treats a price equal to the quote up to binary noise as at the quote', () => {
      assert.equal(sideVsNbbo(0.1 + 0.2, { bid: 0.2, ask: 0.3 }), 'ask');
    });

    it('says nothing when the quote cannot tell', () => {
      assert.equal(sideVsNbbo(0.05, { bid: null, ask: 0.05 }), 'ask', 'no bid, at the ask');
      assert.equal(sideVsNbbo(0.07, { bid: null, ask: 0.05 }), 'above-ask');
      assert.equal(sideVsNbbo(0.04, { bid: null, ask: 0.05 }), null, 'no bid, below the ask: bid side or mid?');
      assert.equal(sideVsNbbo(1.2, { bid: 1.0, ask: null }), null);
      assert.equal(sideVsNbbo(1.0, { bid: 1.0, ask: null }), 'bid');
      assert.equal(sideVsNbbo(1.05, { bid: 1.1, ask: 1.0 }), null, 'crossed quote');
    });
  });

  it('sentiment: calls bought and puts sold are bullish, the reverse bearish, mid neutral', () => {
    assert.equal(sentimentOf('call', 'ask'), 'bullish');
    assert.equal(sentimentOf('call', 'above-ask'), 'bullish');
    assert.equal(sentimentOf('call', 'bid'), 'bearish');
    assert.equal(sentimentOf('call', 'below-bid'), 'bearish');
    assert.equal(sentimentOf('put', 'ask'), 'bearish');
    assert.equal(sentimentOf('put', 'below-bid'), 'bullish');
    assert.equal(sentimentOf('put', 'mid'), 'neutral');
    assert.equal(sentimentOf('call', null), 'neutral');
  });

  describe('moneyness at the edges of the ATM band (±1 % of the strike)', () => {
    // Strike 230: the band is ±2.30, so 227.70 … 232.30 is at the money, edges included.
    it('calls', () => {
      assert.equal(moneynessOf('call', 230, 232.3, 1), 'ATM');
      assert.equal(moneynessOf('call', 230, 232.31, 1), 'ITM');
      assert.equal(moneynessOf('call', 230, 227.7, 1), 'ATM');
      assert.equal(moneynessOf('call', 230, 227.69, 1), 'OTM');
      assert.equal(moneynessOf('call', 230, 230, 1), 'ATM');
    });

    it('puts', () => {
      assert.equal(moneynessOf('put', 230, 232.3, 1), 'ATM');
      assert.equal(moneynessOf('put', 230, 232.31, 1), 'OTM');
      assert.equal(moneynessOf('put', 230, 227.7, 1), 'ATM');
      assert.equal(moneynessOf('put', 230, 227.69, 1), 'ITM');
    });

    it('follows the band setting; a band of 0 leaves only the strike itself at the money', () => {
      assert.equal(moneynessOf('call', 600, 611.99, 2), 'ATM');
      assert.equal(moneynessOf('call', 600, 612.01, 2), 'ITM');
      assert.equal(moneynessOf('put', 600, 600.01, 0), 'OTM');
      assert.equal(moneynessOf('put', 600, 600, 0), 'ATM');
    });
  });

  describe('days to expiry on the New York calendar', () => {
    it('across the year end: 23:30 New York on 31 Dec is already 1 Jan in UTC', () => {
      const lateNewYearsEve = Date.UTC(2027, 0, 1, 4, 30); // 2026-12-31 23:30 EST
      assert.equal(daysToExpiry(lateNewYearsEve, '2027-01-02'), 2);
      assert.equal(daysToExpiry(lateNewYearsEve, '2026-12-31'), 0, 'expiry day itself');
      assert.equal(daysToExpiry(Date.UTC(2026, 11, 31, 14, 30), '2027-01-15'), 15);
    });

    it('across the spring-forward change (8 Mar 2026, 02:00 → 03:00)', () => {
      const saturdayNight = Date.UTC(2026, 2, 8, 4, 30); // 2026-03-07 23:30 EST
      assert.equal(daysToExpiry(saturdayNight, '2026-03-09'), 2);
      const sundayNight = Date.UTC(2026, 2, 9, 3, 30); // 2026-03-08 23:30 EDT: UTC already says 9 Mar
      assert.equal(daysToExpiry(sundayNight, '2026-03-09'), 1);
      assert.equal(daysToExpiry(sundayNight, '2026-03-13'), 5);
    });

    it('across the fall-back change (1 Nov 2026, 02:00 → 01:00)', () => {
      const sundayNight = Date.UTC(2026, 10, 2, 4, 30); // 2026-11-01 23:30 EST
      assert.equal(daysToExpiry(sundayNight, '2026-11-06'), 5);
      const beforeChange = Date.UTC(2026, 9, 31, 15, 0); // 2026-10-31 11:00 EDT
      assert.equal(daysToExpiry(beforeChange, '2026-11-06'), 6);
    });

    it('the cached calendar agrees with the plain function around midnight and across days', () => {
      const calendar = new NewYorkCalendar();
      const start = Date.UTC(2026, 2, 7, 0, 0);
      for (let t = start; t < start + 4 * 86_400_000; t += 17 * 60_000) {
        assert.equal(calendar.daysToExpiry(t, '2026-03-13'), daysToExpiry(t, '2026-03-13'), new Date(t).toISOString());
      }
      const justBeforeMidnight = Date.UTC(2026, 2, 9, 3, 59, 59, 999); // 2026-03-08 23:59:59.999 EDT
      assert.equal(calendar.dateOf(justBeforeMidnight), '2026-03-08');
      assert.equal(calendar.dateOf(justBeforeMidnight + 1), '2026-03-09');
    });
  });

  it('premium is price × size × multiplier to the cent', () => {
    assert.equal(premiumUsdOf(2.5, 400, 100), 100_000);
    assert.equal(premiumUsdOf(1.05, 3, 100), 315);
    assert.equal(premiumUsdOf(0.07, 3, 100), 21);
    assert.equal(premiumUsdOf(12.35, 1, 10), 123.5, 'mini options');
  });

  it('kinds: several prints are a sweep (≥ 2 exchanges) or a split; one print a block or a single', () => {
    const t = FLOW_DEFAULTS;
    assert.equal(flowKindOf({ prints: 3, exchanges: 3, maxPrintSize: 10, maxPrintPremiumUsd: 500 }, t), 'SWEEP');
    assert.equal(flowKindOf({ prints: 2, exchanges: 1, maxPrintSize: 10, maxPrintPremiumUsd: 500 }, t), 'SPLIT');
    assert.equal(flowKindOf({ prints: 2, exchanges: 0, maxPrintSize: 10, maxPrintPremiumUsd: 500 }, t), 'SPLIT', 'no exchange known');
    assert.equal(flowKindOf({ prints: 2, exchanges: 2, maxPrintSize: 400, maxPrintPremiumUsd: 500 }, t), 'SWEEP', 'a block-sized leg stays part of its order');
    assert.equal(flowKindOf({ prints: 1, exchanges: 1, maxPrintSize: 250, maxPrintPremiumUsd: 500 }, t), 'BLOCK', 'size exactly at the threshold');
    assert.equal(flowKindOf({ prints: 1, exchanges: 1, maxPrintSize: 249, maxPrintPremiumUsd: 500 }, t), 'SINGLE');
    assert.equal(flowKindOf({ prints: 1, exchanges: 1, maxPrintSize: 40, maxPrintPremiumUsd: 100_000 }, t), 'BLOCK', 'premium exactly at the threshold');
    assert.equal(flowKindOf({ prints: 1, exchanges: 1, maxPrintSize: 40, maxPrintPremiumUsd: 99_999.99 }, t), 'SINGLE');
  });
});
