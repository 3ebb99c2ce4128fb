/**
 * Keeps a socket's outgoing control messages under a venue's rate limit (Binance: 5 per second
 * per connection; Coinbase: 8 per second per IP). Messages are spaced evenly, 1000/perSecond ms
 * apart, rather than sent in bursts: the venue counts on its side, and network jitter can
 * squeeze a burst and the next one into the same second. The first message goes out at once.
 * `clear()` drops what waits (the socket went away; the next handshake resubscribes).
 */
import type { Clock, TimerHandle } from '../model/clock';

export class SendPacer {
  private readonly clock: Clock;
  private readonly spacingMs: number;
  private readonly send: (text: string) => void;
  private readonly queue: string[] = [];
  private lastSentAt = Number.NEGATIVE_INFINITY;
  private timer: TimerHandle = null;

  constructor(clock: Clock, perSecond: number, send: (text: string) => void) {
    this.clock = clock;
    this.spacingMs = 1_000 / Math.max(0.001, perSecond);
    this.send = send;
  }

  /** Messages still waiting for their turn. */
  get pending(): number {
    return this.queue.length;
  }

  push(text: string): void {
    this.queue.push(text);
    this.drain();
  }

  clear(): void {
    this.queue.length = 0;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  private drain(): void {
    if (this.timer !== null || this.queue.length === 0) return;
    const waitMs = this.lastSentAt + this.spacingMs - this.clock.now();
    if (waitMs > 0) {
      this.timer = this.clock.setTimeout(() => {
        this.timer = null;
        this.drain();
      }, Math.ceil(waitMs));
      return;
    }
    this.lastSentAt = this.clock.now();
    this.send(this.queue.shift() as string);
    this.drain();
  }
}
