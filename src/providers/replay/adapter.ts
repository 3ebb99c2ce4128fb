/**
 * The replay provider's adapter: reads a recording at start, then plays its events in file
 * order to the subscribed (channel, symbol) pairs only — at the recording's own pace, N times
 * faster, or as fast as the event loop allows ("max"). Events go out exactly as recorded.
 */
import fs from 'node:fs';
import { EVENT_CHANNEL, type MarketEvent } from '../../model/events';
import { MarketError } from '../../model/errors';
import type { TimerHandle } from '../../model/clock';
import type { AdapterContext, ProviderAdapter, UpstreamSubscription } from '../../model/provider';
import { decodeRecording } from './decode';
import { REPLAY_DEFAULTS, type ReplayTuning } from './limits';
import { parseReplayOptions, replayConfigError, type ReplaySettings } from './settings';

export class ReplayAdapter implements ProviderAdapter {
  private readonly context: AdapterContext;
  private readonly settings: ReplaySettings;
  private readonly tuning: ReplayTuning;
  /** `channel|symbol|interval` of every subscription; chains as `channel|ROOT*|`. */
  private readonly wanted = new Map<string, UpstreamSubscription>();
  private events: MarketEvent[] | null = null;
  private next = 0;
  private running = false;
  private playing = false;
  private startTimer: TimerHandle = null;
  private tickTimer: TimerHandle = null;
  private immediate: NodeJS.Immediate | null = null;
  /** Timed playback: the wall time and event time the current pass started at. */
  private wallStart = 0;
  private tsStart = 0;
  private emitted = 0;
  private passes = 0;

  constructor(context: AdapterContext, tuning: ReplayTuning = REPLAY_DEFAULTS) {
    this.context = context;
    this.tuning = tuning;
    this.settings = parseReplayOptions(context.settings.options);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.context.setState({ state: 'connecting', detail: `opening ${this.settings.file}` });
    this.startTimer = this.context.clock.setTimeout(() => {
      this.startTimer = null;
      if (!this.running) return;
      const events = this.load();
      if (!events) return;
      this.events = events;
      this.context.setState({ state: 'connected', detail: `replaying ${events.length} events at ${this.settings.speed === 'max' ? 'max speed' : `${this.settings.speed}×`}` });
      this.play();
    }, 0);
  }

  subscribe(subscriptions: readonly UpstreamSubscription[]): void {
    for (const sub of subscriptions) this.wanted.set(wantKey(sub.channel, sub.symbol, sub.interval), sub);
    this.play();
  }

  unsubscribe(subscriptions: readonly UpstreamSubscription[]): void {
    for (const sub of subscriptions) this.wanted.delete(wantKey(sub.channel, sub.symbol, sub.interval));
  }

  async stop(): Promise<void> {
    this.running = false;
    this.haltPlayback();
    if (this.startTimer !== null) this.context.clock.clearTimeout(this.startTimer);
    this.startTimer = null;
    this.wanted.clear();
    this.context.setState({ state: 'closed', detail: 'replay stopped' });
  }

  stats(): Record<string, number> {
    return { events: this.events?.length ?? 0, emitted: this.emitted, passes: this.passes, activeSubscriptions: this.wanted.size };
  }

  private load(): MarketEvent[] | null {
    const { file } = this.settings;
    try {
      const size = fs.statSync(file).size;
      if (size > this.tuning.maxFileBytes) throw replayConfigError(`${file} is ${Math.round(size / 1048576)} MB; recordings up to ${Math.round(this.tuning.maxFileBytes / 1048576)} MB are played (rotate the recorder by size)`);
      const decoded = decodeRecording(fs.readFileSync(file));
      if (decoded.events.length === 0) throw replayConfigError(`${file} holds no events (is it a market-record recording?)`);
      if (decoded.badLines > 0) this.context.log.warn(`replay: skipped ${decoded.badLines} unreadable line(s) in ${file}`);
      return decoded.events;
    } catch (err) {
      const error = err instanceof MarketError ? err : replayConfigError(`cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
      this.context.error(error);
      this.context.setState({ state: 'error', detail: error.message });
      return null;
    }
  }

  /** Starts a pass once the file is read and someone subscribed. */
  private play(): void {
    if (!this.running || this.playing || !this.events || this.wanted.size === 0 || this.next >= this.events.length) return;
    this.playing = true;
    this.beginPass();
    if (this.settings.speed === 'max') this.immediate = setImmediate(() => this.runFlat());
    else this.tickTimer = this.context.clock.setInterval(() => this.runTimed(), this.tuning.tickMs);
  }

  private beginPass(): void {
    this.passes += 1;
    this.wallStart = this.context.clock.now();
    this.tsStart = (this.events as MarketEvent[])[this.next]?.ts ?? 0;
  }

  private runFlat(): void {
    this.immediate = null;
    if (!this.running) return;
    const end = Math.min(this.next + this.tuning.maxBatchEvents, (this.events as MarketEvent[]).length);
    while (this.next < end && this.running) this.emitEvent(this.next++);
    if (this.atEnd()) return;
    this.immediate = setImmediate(() => this.runFlat());
  }

  private runTimed(): void {
    const events = this.events as MarketEvent[];
    const speed = this.settings.speed as number;
    const dueTs = this.tsStart + (this.context.clock.now() - this.wallStart) * speed;
    while (this.running && this.next < events.length && (events[this.next] as MarketEvent).ts <= dueTs) this.emitEvent(this.next++);
    this.atEnd();
  }

  /** At the end of the file: loop, or finish. True when playback stopped or restarted. */
  private atEnd(): boolean {
    const events = this.events as MarketEvent[];
    if (this.next < events.length) return false;
    if (this.settings.loop && this.running) {
      this.next = 0;
      this.beginPass();
      if (this.settings.speed === 'max') this.immediate = setImmediate(() => this.runFlat());
      return true;
    }
    this.haltPlayback();
    this.context.setState({ state: 'closed', detail: 'replay finished' });
    return true;
  }

  private haltPlayback(): void {
    this.playing = false;
    if (this.tickTimer !== null) this.context.clock.clearInterval(this.tickTimer);
    if (this.immediate) clearImmediate(this.immediate);
    this.tickTimer = null;
    this.immediate = null;
  }

  private emitEvent(index: number): void {
    const event = (this.events as MarketEvent[])[index] as MarketEvent;
    if (!this.isWanted(event)) return;
    this.emitted += 1;
    // A copy: nodes downstream enrich msgs, and a loop replays the same event again.
    this.context.emit(structuredClone(event));
  }

  private isWanted(event: MarketEvent): boolean {
    const channel = EVENT_CHANNEL[event.type];
    const interval = event.type === 'candle' ? event.interval : undefined;
    if (this.wanted.has(wantKey(channel, event.symbol, interval))) return true;
    const option = event.option;
    if (!option) return false;
    return this.wanted.has(wantKey(channel, `${option.underlying}*`, undefined)) || (option.root !== undefined && this.wanted.has(wantKey(channel, `${option.root}*`, undefined)));
  }
}

function wantKey(channel: string, symbol: string, interval: string | undefined): string {
  return `${channel}|${symbol}|${channel === 'candle' ? (interval ?? '') : ''}`;
}
