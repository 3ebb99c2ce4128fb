/**
 * What every JSON-over-WebSocket venue adapter needs around its own protocol: one
 * ResilientSocket, a SendPacer for control messages (venues cap them per second), one coalesced
 * flush of subscription changes per tick, and the envelope check every frame passes — text, JSON,
 * an object — before the room reads it. A frame that fails is counted, logged at debug and
 * reported as a catchable PROTOCOL error in the venue's name; the stream goes on.
 */
import { MarketError } from '../../model/errors';
import type { TimerHandle } from '../../model/clock';
import type { AdapterContext } from '../../model/provider';
import type { BackoffPolicy } from '../../transport/backoff';
import { ResilientSocket } from '../../transport/resilient-socket';
import { SendPacer } from '../../transport/send-pacer';

export type JsonObject = Record<string, unknown>;

/** The frame as an object, or what is wrong with it in words a user can read. */
export type ReadFrame = { readonly frame: JsonObject; readonly problem?: undefined } | { readonly problem: string };

export function readJsonObject(text: string, parse: (text: string) => unknown = JSON.parse): ReadFrame {
  let frame: unknown;
  try {
    frame = parse(text);
  } catch {
    return { problem: 'a frame that is not JSON' };
  }
  if (frame === null || typeof frame !== 'object' || Array.isArray(frame)) return { problem: 'a frame that is not a JSON object' };
  return { frame: frame as JsonObject };
}

/**
 * Counts and reports the frames a venue sent that could not be read: on every node (their
 * node.error is rate-limited), and in the log at debug level only, so bad frames cannot flood it.
 */
export class MalformedFrames {
  count = 0;

  constructor(
    private readonly context: AdapterContext,
    private readonly provider: string,
    private readonly venue: string,
  ) {}

  report(reason: string): void {
    this.count += 1;
    this.context.log.debug(`${this.provider}: skipped ${reason}`);
    this.context.error(new MarketError('PROTOCOL', `${this.venue} sent ${reason}; it was skipped`, { provider: this.provider }));
  }
}

export interface VenueSocketOptions {
  /** Provider id, for logs and errors (`kraken`). */
  readonly provider: string;
  /** The venue's name in messages to the user (`Kraken`). */
  readonly venue: string;
  readonly url: string;
  readonly context: AdapterContext;
  readonly staleAfterMs: number;
  readonly messagesPerSecond: number;
  readonly backoff?: Partial<BackoffPolicy>;
  /** How a text frame becomes a value (JSON.parse unless number text must be kept). */
  readonly parse?: (text: string) => unknown;
  /** On every open, before queued control messages go out. */
  onOpen(): void | Promise<void>;
  /** Every frame that passed the envelope check. */
  onFrame(frame: JsonObject, receivedAt: number): void;
  /** The connection is no longer usable (lost, reconnecting, closed); books and requests on it are void. */
  onLost(detail: string): void;
  /** Send what the subscriptions want now (called at most once per tick, after scheduleFlush). */
  onFlush(): void;
}

export class VenueSocket {
  readonly malformed: MalformedFrames;
  private readonly socket: ResilientSocket;
  private readonly pacer: SendPacer;
  private readonly options: VenueSocketOptions;
  private flushTimer: TimerHandle = null;
  private closed = false;

  constructor(options: VenueSocketOptions) {
    this.options = options;
    const { context } = options;
    this.malformed = new MalformedFrames(context, options.provider, options.venue);
    this.socket = new ResilientSocket({
      label: options.provider,
      target: () => ({ url: options.url }),
      staleAfterMs: options.staleAfterMs,
      clock: context.clock,
      log: context.log,
      ...(options.backoff ? { backoff: options.backoff } : {}),
      onOpen: () => options.onOpen(),
      onMessage: (data, isBinary) => {
        if (isBinary) this.malformed.report('a binary frame where text was expected');
        else this.onText(data.toString(), context.clock.now());
      },
      onState: (change) => {
        if (change.state !== 'connected') options.onLost(change.detail);
        context.setState(change);
      },
    });
    this.pacer = new SendPacer(context.clock, options.messagesPerSecond, (text) => this.socket.send(text));
  }

  get openCount(): number {
    return this.socket.openCount;
  }

  start(): void {
    this.socket.start();
  }

  /** Queue a control message; it leaves within the venue's messages-per-second limit. */
  send(message: object): void {
    this.pacer.push(JSON.stringify(message));
  }

  /** Forget queued control messages (they belonged to a connection that is gone). */
  clearQueue(): void {
    this.pacer.clear();
  }

  /** Coalesce subscription changes of this tick into one onFlush. */
  scheduleFlush(): void {
    if (this.flushTimer !== null || this.closed) return;
    this.flushTimer = this.options.context.clock.setTimeout(() => {
      this.flushTimer = null;
      this.options.onFlush();
    }, 0);
  }

  /** Give up on the current connection for a reason the user must see (e.g. refused credentials). */
  fail(error: MarketError): void {
    this.socket.fail(error);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.flushTimer !== null) this.options.context.clock.clearTimeout(this.flushTimer);
    this.flushTimer = null;
    this.pacer.clear();
    await this.socket.close();
  }

  private onText(text: string, receivedAt: number): void {
    const read = readJsonObject(text, this.options.parse);
    if (read.problem !== undefined) this.malformed.report(read.problem);
    else this.options.onFrame(read.frame, receivedAt);
  }
}
