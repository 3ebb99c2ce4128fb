/**
 * Time as the session and the adapters see it. Injected so tests can run hours of token
 * lifetimes and backoff in milliseconds (e.g. with @sinonjs/fake-timers' createClock());
 * the real clock is `systemClock` in src/transport/clock.ts.
 */
export type TimerHandle = unknown;

export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  setInterval(callback: () => void, ms: number): TimerHandle;
  clearInterval(handle: TimerHandle): void;
}
