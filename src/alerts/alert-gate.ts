/**
 * Alert hygiene (docs/architecture.md, market-alert): the first alert of a key goes out; the
 * same key again within cooldownS is held and counted; more than maxPerMin alerts in any 60 s
 * are held; nothing goes out in quiet hours. Held alerts become one summary per key when the
 * key's window ends ("12 more whale prints on SPY in the last 5 min"), never a flood.
 */
import type { Clock, TimerHandle } from '../model/clock';
import type { AlertFacts } from './alert-text';

export interface QuietHours {
  /** Minutes after midnight, in timeZone; from > to spans midnight. */
  from: number;
  to: number;
  timeZone: string;
}

export interface AlertGateSettings {
  cooldownS: number;
  /** 0 = no cap. */
  maxPerMin: number;
  quietHours: QuietHours | null;
}

export interface GateOutput<T> {
  facts: AlertFacts;
  /** The first held item's payload for a summary, the item itself otherwise. */
  item: T;
  /** Null for an alert; the held count for a summary. */
  summary: { count: number; sinceTs: number; text: string } | null;
}

interface KeyWindow<T> {
  facts: AlertFacts;
  item: T;
  /** Whether an alert of this window went out (then a summary says "more"). */
  sent: boolean;
  held: number;
  /** When the window opened: the summary speaks of the time since. */
  openedTs: number;
  firstHeldTs: number;
  timer: TimerHandle;
}

const MINUTE_MS = 60_000;

/** "22:00-07:00" → minutes; empty → null. Throws on anything else. */
export function parseQuietHours(text: string, timeZone = 'UTC'): QuietHours | null {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  const match = /^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$/.exec(trimmed);
  const minutes = (h: string, m: string): number => {
    const hh = Number(h);
    const mm = Number(m);
    if (hh > 23 || mm > 59) throw new Error(`quiet hours "${text}": times run 00:00 to 23:59`);
    return hh * 60 + mm;
  };
  if (!match) throw new Error(`quiet hours "${text}": expected HH:MM-HH:MM, e.g. 22:00-07:00`);
  const from = minutes(match[1] as string, match[2] as string);
  const to = minutes(match[3] as string, match[4] as string);
  if (from === to) throw new Error(`quiet hours "${text}": start and end are the same`);
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
  } catch {
    throw new Error(`quiet hours: unknown time zone "${timeZone}"`);
  }
  return { from, to, timeZone };
}

function minuteOfDay(ts: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, hour: 'numeric', minute: 'numeric', hourCycle: 'h23' }).formatToParts(ts);
  const part = (type: string): number => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return part('hour') * 60 + part('minute');
}

export function inQuietHours(quiet: QuietHours, ts: number): boolean {
  const m = minuteOfDay(ts, quiet.timeZone);
  return quiet.from < quiet.to ? m >= quiet.from && m < quiet.to : m >= quiet.from || m < quiet.to;
}

/** Milliseconds until quiet hours end (at least one minute's step; DST shifts at most delay it by the step). */
function msUntilQuietEnds(quiet: QuietHours, ts: number): number {
  const m = minuteOfDay(ts, quiet.timeZone);
  const left = (quiet.to - m + 24 * 60) % (24 * 60) || 24 * 60;
  const intoMinute = ts % MINUTE_MS;
  return Math.max(MINUTE_MS, left * MINUTE_MS - intoMinute);
}

function describeSpan(ms: number): string {
  if (ms < MINUTE_MS) return `${Math.max(1, Math.round(ms / 1000))} s`;
  const minutes = Math.round(ms / MINUTE_MS);
  if (minutes < 120) return `${minutes} min`;
  return `${Math.round(minutes / 60)} h`;
}

export class AlertGate<T> {
  private readonly windows = new Map<string, KeyWindow<T>>();
  private readonly sentAt: number[] = [];

  constructor(
    private readonly settings: AlertGateSettings,
    private readonly clock: Clock,
    private readonly emit: (out: GateOutput<T>) => void,
  ) {}

  /** Offers one alert; true when it went out at once, false when it was held for a summary. */
  offer(facts: AlertFacts, item: T): boolean {
    const now = this.clock.now();
    const open = this.windows.get(facts.key);
    if (open) {
      this.hold(open, now);
      return false;
    }
    const send = !this.quiet(now) && this.underCap(now);
    const window: KeyWindow<T> = { facts, item, sent: send, held: 0, openedTs: now, firstHeldTs: now, timer: null };
    this.windows.set(facts.key, window);
    if (send) {
      this.sentAt.push(now);
      this.emit({ facts, item, summary: null });
    } else this.hold(window, now);
    window.timer = this.clock.setTimeout(() => this.close(facts.key), this.windowMs(now));
    return send;
  }

  /** Windows still open (held or cooling down). */
  get openKeys(): number {
    return this.windows.size;
  }

  /** Drops every window and its timer, without summaries (the node is closing). */
  dispose(): void {
    for (const window of this.windows.values()) this.clock.clearTimeout(window.timer);
    this.windows.clear();
  }

  private hold(window: KeyWindow<T>, now: number): void {
    if (window.held === 0) window.firstHeldTs = now;
    window.held += 1;
  }

  private windowMs(now: number): number {
    const cooldown = Math.max(1, this.settings.cooldownS * 1000);
    const quiet = this.settings.quietHours;
    return quiet && inQuietHours(quiet, now) ? Math.max(cooldown, msUntilQuietEnds(quiet, now)) : cooldown;
  }

  private quiet(now: number): boolean {
    return this.settings.quietHours !== null && inQuietHours(this.settings.quietHours, now);
  }

  private underCap(now: number): boolean {
    while (this.sentAt.length > 0 && (this.sentAt[0] as number) <= now - MINUTE_MS) this.sentAt.shift();
    return this.settings.maxPerMin <= 0 || this.sentAt.length < this.settings.maxPerMin;
  }

  private close(key: string): void {
    const window = this.windows.get(key);
    if (!window) return;
    const now = this.clock.now();
    if (window.held > 0 && this.quiet(now)) {
      window.timer = this.clock.setTimeout(() => this.close(key), this.windowMs(now));
      return;
    }
    this.windows.delete(key);
    if (window.held === 0) return;
    // A summary is the remedy for a flood, so the cap does not hold it back; it counts against the cap.
    this.sentAt.push(now);
    const where = window.facts.symbol ? ` on ${window.facts.symbol}` : '';
    const text = `${window.held}${window.sent ? ' more' : ''} ${window.facts.noun}${where} in the last ${describeSpan(now - window.openedTs)}`;
    this.emit({ facts: window.facts, item: window.item, summary: { count: window.held, sinceTs: window.firstHeldTs, text } });
  }
}
