import assert from 'node:assert/strict';
import { WeightBudget } from '../../src/transport/weight-budget';
import { fakeClock } from '../helpers/fake-clock';

describe('WeightBudget (REST request weight per sliding minute)', () => {
  it('lets calls through while they fit, holds the rest in order until the minute frees their weight', async () => {
    const time = fakeClock();
    const budget = new WeightBudget(time.clock, 100);
    const through: number[] = [];
    for (let i = 0; i < 5; i++) void budget.take(40).then(() => through.push(i));
    await time.tickAsync(0);
    assert.deepEqual(through, [0, 1], '80 of 100 spent; a third 40 would exceed it');
    assert.equal(budget.used, 80);
    await time.tickAsync(59_000);
    assert.deepEqual(through, [0, 1], 'still inside the minute');
    await time.tickAsync(1_000);
    assert.deepEqual(through, [0, 1, 2, 3], 'the first minute has passed: two more fit');
    await time.tickAsync(60_000);
    assert.deepEqual(through, [0, 1, 2, 3, 4]);
  });

  it('rejects the waiting calls when cancelled, and leaves no timer', async () => {
    const time = fakeClock();
    const budget = new WeightBudget(time.clock, 10);
    await budget.take(10);
    const waiting = budget.take(5);
    budget.cancel(new Error('stopped'));
    await assert.rejects(waiting, /stopped/);
  });
});
