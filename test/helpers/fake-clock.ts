import FakeTimers from '@sinonjs/fake-timers';
import type { Clock } from '../../src/model/clock';

/** A Clock driven by @sinonjs/fake-timers, without touching the process's real timers. */
export function fakeClock(start = Date.UTC(2026, 10, 20, 15, 0, 0)): { clock: Clock; tick(ms: number): void; tickAsync(ms: number): Promise<number> } {
  const fake = FakeTimers.createClock(start);
  const clock: Clock = {
    now: () => fake.now,
    setTimeout: (callback, ms) => fake.setTimeout(callback, ms),
    clearTimeout: (handle) => fake.clearTimeout(handle as FakeTimers.TimerId),
    setInterval: (callback, ms) => fake.setInterval(callback, ms),
    clearInterval: (handle) => fake.clearInterval(handle as FakeTimers.TimerId),
  };
  return { clock, tick: (ms) => void fake.tick(ms), tickAsync: (ms) => fake.tickAsync(ms) };
}
