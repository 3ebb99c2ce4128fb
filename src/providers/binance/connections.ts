/**
 * Binance's connections: as many as the streams need (1024 streams per connection), each one a
 * ResilientSocket that resubscribes its streams on every open, sends control messages under the
 * 5-per-second limit (docs/protocols/binance.md §3), and is replaced *before* it goes away:
 *
 *  - at `rotateAfterMs` (Binance cuts every connection at 24 h) and on `serverShutdown`, a
 *    successor connection opens and subscribes the same streams;
 *  - once the successor has confirmed every subscription it takes over, and the old connection
 *    stays open `overlapMs` more so that frames still in flight on it arrive;
 *  - while both are open their frames are flagged `multiSource`, so trades and depth events
 *    can be put back in order and duplicates dropped (see BinanceDecoder, BinanceDepthSync).
 *
 * The user sees one connection state: the worst of the connections' states. A hand-over shows
 * no state change at all.
 */
import type WebSocket from 'ws';
import { MarketError } from '../../model/errors';
import type { ConnectionChange } from '../../model/connection';
import type { Clock, TimerHandle } from '../../model/clock';
import type { Logger } from '../../model/logger';
import { ResilientSocket, type SocketTarget } from '../../transport/resilient-socket';
import { SendPacer } from '../../transport/send-pacer';
import type { BinanceErrorBody, FrameSource } from './decode';
import type { ConnectionTuning } from './limits';

export interface ConnectionSetHooks {
  target(): SocketTarget;
  /** Every frame, from whichever connection (Binance sends text only: a binary one is a protocol error). */
  onFrame(data: WebSocket.RawData, isBinary: boolean, receivedAt: number, source: FrameSource): void;
  /** The combined state changed. */
  onState(change: ConnectionChange): void;
  /** These streams are live on their connection's current socket (confirmed, or all of them after a (re)connect). */
  onStreamsLive(streams: readonly string[]): void;
  /** These streams' connection dropped with no successor ready: their data has a hole. */
  onStreamsLost(streams: readonly string[], detail: string): void;
  /** These streams are carried by one connection again after a hand-over. */
  onOverlapEnd(streams: readonly string[]): void;
  /** Binance refused a SUBSCRIBE for these streams. */
  onSubscribeError(streams: readonly string[], error: BinanceErrorBody): void;
}

interface PendingRequest {
  socket: StreamSocket;
  method: 'SUBSCRIBE' | 'UNSUBSCRIBE';
  streams: string[];
  settle: (error: BinanceErrorBody | null) => void;
}

const LOST: BinanceErrorBody = Object.freeze({ code: -1, msg: 'connection lost before Binance answered' });

const STATE_RANK: Record<ConnectionChange['state'], number> = { connected: 0, closed: 1, connecting: 2, stale: 3, reconnecting: 4, error: 5 };

/** One socket of a slot: the ResilientSocket, its control-message pacer, and the streams it has asked for. */
class StreamSocket implements FrameSource {
  readonly socket: ResilientSocket;
  readonly pacer: SendPacer;
  readonly slot: Slot;
  /** Streams subscribed (or being subscribed) on the current underlying socket. */
  readonly subscribed = new Set<string>();
  /** The current underlying socket is open (its handshake has started). */
  opened = false;
  rotateTimer: TimerHandle = null;

  constructor(slot: Slot, socket: (owner: StreamSocket) => ResilientSocket, pacer: (owner: StreamSocket) => SendPacer) {
    this.slot = slot;
    this.socket = socket(this);
    this.pacer = pacer(this);
  }

  get multiSource(): boolean {
    return this.slot.successor !== null || this.slot.retiring !== null;
  }
}

/** One logical connection: a set of streams and the socket(s) carrying them. */
class Slot {
  readonly index: number;
  readonly streams = new Set<string>();
  active!: StreamSocket;
  successor: StreamSocket | null = null;
  retiring: StreamSocket | null = null;
  retireTimer: TimerHandle = null;
  state: ConnectionChange = { state: 'connecting', detail: 'connecting' };

  constructor(index: number) {
    this.index = index;
  }
}

export class BinanceConnections {
  private readonly hooks: ConnectionSetHooks;
  private readonly tuning: ConnectionTuning;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly slots: Slot[] = [];
  private readonly pending = new Map<number, PendingRequest>();
  private nextRequestId = 1;
  private nextSlotIndex = 0;
  private flushTimer: TimerHandle = null;
  private lastState = '';
  private started = false;
  private stopped = false;
  private readonly counters = { socketsOpened: 0, handovers: 0, controlMessages: 0, rejectedStreams: 0 };

  constructor(hooks: ConnectionSetHooks, tuning: ConnectionTuning, clock: Clock, log: Logger) {
    this.hooks = hooks;
    this.tuning = tuning;
    this.clock = clock;
    this.log = log;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    if (this.slots.length === 0) this.addSlot();
    else for (const slot of this.slots) slot.active.socket.start();
  }

  /** Adds streams: to the first connection with room, opening more connections when all are full. */
  add(streams: readonly string[]): void {
    for (const stream of streams) {
      if (this.slotOf(stream)) continue;
      let slot = this.slots.find((candidate) => candidate.streams.size < this.tuning.maxStreamsPerConnection);
      if (!slot) slot = this.addSlot();
      slot.streams.add(stream);
    }
    this.scheduleFlush();
  }

  remove(streams: readonly string[]): void {
    for (const stream of streams) this.slotOf(stream)?.streams.delete(stream);
    this.scheduleFlush();
  }

  /** Routes a SUBSCRIBE/UNSUBSCRIBE answer to its request. */
  handleReply(id: number | null, error: BinanceErrorBody | null): void {
    if (id === null) {
      this.log.warn(`binance: a request was refused without an id: ${error ? error.msg : 'no reason'}`);
      return;
    }
    const request = this.pending.get(id);
    if (!request) return;
    this.pending.delete(id);
    request.settle(error);
  }

  /** `serverShutdown` arrived on a connection: open its successor now. */
  handleShutdown(source: FrameSource): void {
    const socket = this.findSocket(source);
    if (socket && socket.slot.active === socket) this.startHandover(socket.slot, 'Binance announced a server shutdown');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.flushTimer !== null) this.clock.clearTimeout(this.flushTimer);
    this.flushTimer = null;
    const closing: Array<Promise<void>> = [];
    for (const slot of this.slots) closing.push(...this.closeSlot(slot));
    this.slots.length = 0;
    for (const request of this.pending.values()) request.settle(LOST);
    this.pending.clear();
    await Promise.all(closing);
  }

  stats(): Record<string, number> {
    return { connections: this.slots.length, ...this.counters };
  }

  private slotOf(stream: string): Slot | undefined {
    return this.slots.find((slot) => slot.streams.has(stream));
  }

  private findSocket(source: FrameSource): StreamSocket | undefined {
    for (const slot of this.slots) {
      for (const socket of [slot.active, slot.successor, slot.retiring]) if (socket === source) return socket;
    }
    return undefined;
  }

  private addSlot(): Slot {
    const slot = new Slot(this.nextSlotIndex++);
    slot.active = this.createSocket(slot);
    this.slots.push(slot);
    if (this.started) slot.active.socket.start();
    return slot;
  }

  private createSocket(slot: Slot): StreamSocket {
    return new StreamSocket(
      slot,
      (owner) =>
        new ResilientSocket({
          label: 'binance',
          target: () => this.hooks.target(),
          staleAfterMs: this.tuning.staleAfterMs,
          clock: this.clock,
          log: this.log,
          ...(this.tuning.backoff ? { backoff: this.tuning.backoff } : {}),
          onOpen: () => this.handshake(owner),
          onMessage: (data, isBinary) => this.hooks.onFrame(data, isBinary, this.clock.now(), owner),
          onState: (change) => this.socketState(owner, change),
        }),
      (owner) =>
        new SendPacer(this.clock, this.tuning.controlMessagesPerSecond, (text) => {
          this.counters.controlMessages += 1;
          owner.socket.send(text);
        }),
    );
  }

  /** On every open: forget what the previous socket had, subscribe every stream of the slot, wait for the answers. */
  private async handshake(socket: StreamSocket): Promise<void> {
    this.counters.socketsOpened += 1;
    socket.subscribed.clear();
    socket.pacer.clear();
    this.settlePendingOf(socket);
    socket.opened = true;
    for (;;) {
      const missing = [...socket.slot.streams].filter((stream) => !socket.subscribed.has(stream));
      if (missing.length === 0) return;
      const answers = await Promise.all(this.request(socket, 'SUBSCRIBE', missing));
      if (answers.includes(LOST)) throw new MarketError('NETWORK', 'binance: the connection closed while subscribing', { provider: 'binance' });
    }
  }

  /** Sends the requests (paced, in batches); each promise settles with Binance's answer (null = accepted). */
  private request(socket: StreamSocket, method: 'SUBSCRIBE' | 'UNSUBSCRIBE', streams: string[]): Array<Promise<BinanceErrorBody | null>> {
    const replies: Array<Promise<BinanceErrorBody | null>> = [];
    for (let i = 0; i < streams.length; i += this.tuning.streamsPerMessage) {
      const batch = streams.slice(i, i + this.tuning.streamsPerMessage);
      for (const stream of batch) {
        if (method === 'SUBSCRIBE') socket.subscribed.add(stream);
        else socket.subscribed.delete(stream);
      }
      const id = this.nextRequestId++;
      replies.push(
        new Promise<BinanceErrorBody | null>((resolve) => {
          this.pending.set(id, {
            socket,
            method,
            streams: batch,
            settle: (error) => {
              if (method === 'SUBSCRIBE') this.subscribeAnswered(socket, batch, error);
              resolve(error);
            },
          });
        }),
      );
      socket.pacer.push(JSON.stringify({ method, params: batch, id }));
    }
    return replies;
  }

  private subscribeAnswered(socket: StreamSocket, streams: string[], error: BinanceErrorBody | null): void {
    if (this.stopped) return;
    if (error === LOST) {
      for (const stream of streams) socket.subscribed.delete(stream);
      return;
    }
    const wanted = streams.filter((stream) => socket.slot.streams.has(stream));
    if (error) {
      this.counters.rejectedStreams += wanted.length;
      for (const stream of streams) socket.subscribed.delete(stream);
      for (const stream of wanted) socket.slot.streams.delete(stream);
      if (wanted.length > 0) this.hooks.onSubscribeError(wanted, error);
      return;
    }
    if (socket.slot.active === socket && socket.socket.isReady && wanted.length > 0) this.hooks.onStreamsLive(wanted);
  }

  /** Subscribes and unsubscribes what changed, on every socket that is open, in one pass per tick. */
  private scheduleFlush(): void {
    if (this.flushTimer !== null || this.stopped) return;
    this.flushTimer = this.clock.setTimeout(() => {
      this.flushTimer = null;
      this.flush();
    }, 0);
  }

  private flush(): void {
    for (const slot of [...this.slots]) {
      for (const socket of [slot.active, slot.successor, slot.retiring]) {
        if (!socket || !socket.opened) continue;
        const added = [...slot.streams].filter((stream) => !socket.subscribed.has(stream));
        const removed = [...socket.subscribed].filter((stream) => !slot.streams.has(stream));
        if (added.length > 0) void Promise.all(this.request(socket, 'SUBSCRIBE', added));
        if (removed.length > 0) void Promise.all(this.request(socket, 'UNSUBSCRIBE', removed));
      }
      // A connection left without streams closes, unless it is the last one.
      if (slot.streams.size === 0 && this.slots.length > 1) {
        this.slots.splice(this.slots.indexOf(slot), 1);
        void Promise.all(this.closeSlot(slot));
        this.publishState();
      }
    }
  }

  private socketState(socket: StreamSocket, change: ConnectionChange): void {
    if (this.stopped) return;
    const slot = socket.slot;
    if (change.state !== 'connected') {
      socket.opened = false;
      this.settlePendingOf(socket);
    }
    if (socket === slot.successor) {
      if (change.state === 'connected') this.promote(slot);
      else if (change.state !== 'connecting' && change.state !== 'closed') this.log.info(`binance: replacement connection ${slot.index}: ${change.detail}`);
      return;
    }
    if (socket === slot.retiring) {
      if (change.state !== 'connected' && change.state !== 'connecting') this.endOverlap(slot);
      return;
    }
    if (socket !== slot.active) return;
    if (change.state === 'connected') {
      this.armRotation(socket);
      slot.state = change;
      this.publishState();
      this.hooks.onStreamsLive([...slot.streams]);
      return;
    }
    if (change.state === 'closed') return;
    if (change.state === 'connecting') {
      slot.state = change;
      this.publishState();
      return;
    }
    this.disarmRotation(socket);
    if (slot.successor) {
      // The old connection went before its successor was ready: the successor takes over now,
      // and the update-id chain tells whether anything was missed in between.
      this.log.info(`binance: connection ${slot.index} lost during its hand-over (${change.detail})`);
      const successor = slot.successor;
      slot.successor = null;
      void socket.socket.close();
      slot.active = successor;
      this.hooks.onOverlapEnd([...slot.streams]);
      return;
    }
    slot.state = change;
    this.publishState();
    this.hooks.onStreamsLost([...slot.streams], change.detail);
  }

  private startHandover(slot: Slot, reason: string): void {
    if (this.stopped || slot.successor) return;
    this.log.info(`binance: opening a replacement for connection ${slot.index}: ${reason}`);
    this.disarmRotation(slot.active);
    slot.successor = this.createSocket(slot);
    slot.successor.socket.start();
  }

  /** The successor has subscribed every stream: it becomes the active connection; the old one drains, then closes. */
  private promote(slot: Slot): void {
    const successor = slot.successor;
    if (!successor) return;
    this.counters.handovers += 1;
    const old = slot.active;
    slot.successor = null;
    slot.active = successor;
    this.armRotation(successor);
    if (slot.retiring) this.finishRetiring(slot);
    slot.retiring = old;
    slot.retireTimer = this.clock.setTimeout(() => {
      slot.retireTimer = null;
      this.endOverlap(slot);
    }, this.tuning.overlapMs);
    if (slot.state.state !== 'connected') {
      slot.state = { state: 'connected', detail: 'connected' };
      this.publishState();
    }
  }

  private endOverlap(slot: Slot): void {
    if (!slot.retiring) return;
    this.finishRetiring(slot);
    this.hooks.onOverlapEnd([...slot.streams]);
  }

  private finishRetiring(slot: Slot): void {
    const retiring = slot.retiring;
    slot.retiring = null;
    if (slot.retireTimer !== null) this.clock.clearTimeout(slot.retireTimer);
    slot.retireTimer = null;
    if (retiring) {
      retiring.pacer.clear();
      this.settlePendingOf(retiring);
      void retiring.socket.close();
    }
  }

  private armRotation(socket: StreamSocket): void {
    this.disarmRotation(socket);
    socket.rotateTimer = this.clock.setTimeout(() => {
      socket.rotateTimer = null;
      if (socket.slot.active === socket) this.startHandover(socket.slot, `connection is ${Math.round(this.tuning.rotateAfterMs / 60_000)} min old (Binance closes connections at 24 h)`);
    }, this.tuning.rotateAfterMs);
  }

  private disarmRotation(socket: StreamSocket): void {
    if (socket.rotateTimer !== null) this.clock.clearTimeout(socket.rotateTimer);
    socket.rotateTimer = null;
  }

  private closeSlot(slot: Slot): Array<Promise<void>> {
    const closing: Array<Promise<void>> = [];
    if (slot.retireTimer !== null) this.clock.clearTimeout(slot.retireTimer);
    slot.retireTimer = null;
    for (const socket of [slot.active, slot.successor, slot.retiring]) {
      if (!socket) continue;
      this.disarmRotation(socket);
      socket.pacer.clear();
      this.settlePendingOf(socket);
      closing.push(socket.socket.close());
    }
    slot.successor = null;
    slot.retiring = null;
    return closing;
  }

  private settlePendingOf(socket: StreamSocket): void {
    for (const [id, request] of this.pending) {
      if (request.socket !== socket) continue;
      this.pending.delete(id);
      request.settle(LOST);
    }
  }

  /** Reports the worst state among the connections, once per change. */
  private publishState(): void {
    if (this.slots.length === 0) return;
    let worst = (this.slots[0] as Slot).state;
    for (const slot of this.slots) if (STATE_RANK[slot.state.state] > STATE_RANK[worst.state]) worst = slot.state;
    const detail = this.slots.length > 1 && worst.state === 'connected' ? `connected (${this.slots.length} connections)` : worst.detail;
    const key = `${worst.state}|${detail}|${worst.attempt ?? ''}`;
    if (key === this.lastState) return;
    this.lastState = key;
    this.hooks.onState({ ...worst, detail });
  }
}
