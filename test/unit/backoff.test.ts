import assert from 'node:assert/strict';
import { Backoff } from '../../src/transport/backoff';

describe('Backoff', () => {
  it('doubles from 0.5 s to the 30 s cap without jitter', () => {
    const backoff = new Backoff({ jitter: 0 });
    const delays = Array.from({ length: 10 }, () => backoff.next());
    assert.deepEqual(delays, [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000, 30000]);
    assert.equal(backoff.attempt, 10);
  });

  it('spreads each delay over [base × (1 − jitter), base]', () => {
    const low = new Backoff({ jitter: 0.5 }, () => 0.999999);
    const high = new Backoff({ jitter: 0.5 }, () => 0);
    assert.equal(low.next(), 250);
    assert.equal(high.next(), 500);
    for (let i = 0; i < 20; i++) {
      low.next();
      high.next();
    }
    assert.equal(low.next(), 15000);
    assert.equal(high.next(), 30000);
  });

  it('starts over after reset', () => {
    const backoff = new Backoff({ jitter: 0 });
    backoff.next();
    backoff.next();
    backoff.reset();
    assert.equal(backoff.attempt, 0);
    assert.equal(backoff.next(), 500);
  });
});
