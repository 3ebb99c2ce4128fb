/**
 * One upstream WebSocket that stays up: reconnects with capped, jittered backoff, detects a
 * stale feed (no frame, heartbeats included, for `staleAfterMs`), runs the provider's
 * handshake on every open (auth, resubscribe) and reports each state change once.
 *
 * Providers own what goes over the wire; this class owns the socket's life.
 */
import WebSocket from 'ws';
import { Backoff, type BackoffPolicy } from './backoff';
import { systemClock } from './clock';
import type { Clock, TimerHandle } from '../model/clock';
import type { ConnectionChange } from '../model/connection';
import { silentLogger } from './log';
import type { Logger } from '../model/logger';
import { MarketError, redactUrl } from '../model/errors';

export interface SocketTarget {
  url: string;
  headers?: Record<string, string>;
  protocols?: string[];
}

export interface ResilientSocketOptions {
  /** Provider id, for logs and errors. */
  label: string;
  /** Resolved before every attempt, so a fresh token or URL can be fetched. Throw a MarketError to fail the attempt. */
  target: () => SocketTarget | Promise<SocketTarget>;
  /**
   * Runs once the socket is open and before `connected` is reported: authenticate, resubscribe.
   * Throw (or reject) to fail the attempt; a MarketError('AUTH') shows as an `error` state.
   */
  onOpen?: (socket: ResilientSocket) => void | Promise<void>;
  onMessage: (data: WebSocket.RawData, isBinary: boolean) => void;
  /**
   * The socket closed (not by us): the provider may say what that means, e.g. a server that
   * refuses credentials only by closing. `failure` is what the socket reported before closing.
   * The error returned, if any, replaces it in the status.
   */
  onClose?: (info: { code: number; reason: string; wasReady: boolean; failure: MarketError | null }) => MarketError | undefined;
  /** Called for every state change. */
  onState: (change: ConnectionChange) => void;
  /** No frame for this long → reconnect. 0 disables the watchdog. */
  staleAfterMs: number;
  /** Send a WebSocket ping this often (for servers that expect client pings). 0 = never. */
  pingIntervalMs?: number;
  /** Abort an attempt whose open + handshake takes longer than this. */
  connectTimeoutMs?: number;
  backoff?: Partial<BackoffPolicy>;
  /** At least this long before retrying after `failure` (e.g. refused credentials on hold); undefined = the backoff alone. */
  holdAfter?: (failure: MarketError) => number | undefined;
  clock?: Clock;
  random?: () => number;
  log?: Logger;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 15_000;
const CLOSE_GRACE_MS = 1_000;
/**
 * Frames handled in one turn of the event loop before reading pauses until the next turn.
 * A socket with a backlog hands over thousands of frames in one turn (libuv reads up to 32
 * chunks at a time), and what they cause downstream waits in memory until the turn ends
 * (Node-RED queues every msg for a later turn). Pausing keeps that to about 500 frames; the
 * rest waits in the kernel's TCP buffer, so a consumer that falls behind slows the sender
 * instead of growing the heap. Measured through Node-RED at full rate: peak RSS 238–273 MB →
 * 143–145 MB, and no more slow runs spent collecting the backlog.
 */
const MAX_FRAMES_PER_TURN = 500;

export class ResilientSocket {
  private readonly options: ResilientSocketOptions;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly backoff: Backoff;
  private socket: WebSocket | null = null;
  private ready = false;
  private closing = false;
  private started = false;
  private lastFrameAt = 0;
  private retryTimer: TimerHandle = null;
  private watchdogTimer: TimerHandle = null;
  private stableTimer: TimerHandle = null;
  private connectTimer: TimerHandle = null;
  private pingTimer: TimerHandle = null;
  private lastFailure: MarketError | null = null;
  /** Refused credentials in a row (reset once a connection gets through its handshake). */
  private refusals = 0;
  private opens = 0;

  constructor(options: ResilientSocketOptions) {
    this.options = options;
    this.clock = options.clock ?? systemClock;
    this.log = options.log ?? silentLogger;
    this.backoff = new Backoff(options.backoff, options.random);
  }

  /** True once the handshake completed on the current socket. */
  get isReady(): boolean {
    return this.ready;
  }

  /** Sockets opened so far (handshake reached), for diagnostics and tests. */
  get openCount(): number {
    return this.opens;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.closing = false;
    this.options.onState({ state: 'connecting', detail: 'connecting' });
    void this.connect();
  }

  /** Sends a text frame if the socket is open. Returns false when it is not. */
  send(text: string): boolean {
    const socket = this.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) return false;
    socket.send(text);
    return true;
  }

  /**
   * Drops the current socket and reconnects after backoff. Adapters call this when the
   * provider says the session is unusable (auth revoked, protocol error).
   */
  fail(error: MarketError): void {
    if (this.closing) return;
    this.lastFailure = error;
    this.dropSocket();
    this.scheduleReconnect(error.message);
  }

  /** Reconnect now (e.g. the server announced a shutdown). */
  reconnectNow(reason: string): void {
    if (this.closing) return;
    this.dropSocket();
    this.clearTimer('retryTimer');
    this.options.onState({ state: 'reconnecting', detail: reason, attempt: this.backoff.attempt, retryInMs: 0 });
    void this.connect();
  }

  async close(): Promise<void> {
    if (this.closing && !this.socket) return;
    this.closing = true;
    this.started = false;
    for (const name of ['retryTimer', 'watchdogTimer', 'stableTimer', 'connectTimer', 'pingTimer'] as const) this.clearTimer(name);
    const socket = this.socket;
    this.socket = null;
    this.ready = false;
    if (socket) await closeGracefully(socket, this.clock);
    this.options.onState({ state: 'closed', detail: 'closed' });
  }

  private async connect(): Promise<void> {
    if (this.closing) return;
    let target: SocketTarget;
    try {
      target = await this.options.target();
    } catch (err) {
      this.handleFailure(asMarketError(err, this.options.label));
      return;
    }
    if (this.closing) return;
    const safeUrl = redactUrl(target.url);
    this.log.debug(`${this.options.label}: connecting to ${safeUrl}`);
    let socket: WebSocket;
    try {
      socket = new WebSocket(target.url, target.protocols, { headers: target.headers, handshakeTimeout: this.connectTimeoutMs() });
    } catch (err) {
      this.handleFailure(new MarketError('CONFIG', `${this.options.label}: bad endpoint ${safeUrl}: ${errorText(err).split(target.url).join(safeUrl)}`, { provider: this.options.label }));
      return;
    }
    this.socket = socket;
    this.ready = false;
    this.lastFrameAt = this.clock.now();
    this.connectTimer = this.clock.setTimeout(() => {
      this.connectTimer = null;
      if (this.socket === socket && !this.ready) this.fail(new MarketError('NETWORK', `${this.options.label}: no answer from ${safeUrl} within ${this.connectTimeoutMs()} ms`, { provider: this.options.label }));
    }, this.connectTimeoutMs());

    socket.on('open', () => void this.handleOpen(socket));
    let framesThisTurn = 0;
    const resume = (): void => {
      if (socket.isPaused) socket.resume();
    };
    const nextTurn = (): void => {
      framesThisTurn = 0;
      // Not now: resuming hands over the buffered frames at once (on the next tick), before
      // the work the last ones queued for this turn has run.
      if (socket.isPaused) setImmediate(resume);
    };
    socket.on('message', (data, isBinary) => {
      if (this.socket !== socket) return;
      this.lastFrameAt = this.clock.now();
      if (framesThisTurn++ === 0) setImmediate(nextTurn);
      else if (framesThisTurn === MAX_FRAMES_PER_TURN) socket.pause();
      this.options.onMessage(data, isBinary);
    });
    socket.on('ping', () => {
      if (this.socket === socket) this.lastFrameAt = this.clock.now();
    });
    socket.on('pong', () => {
      if (this.socket === socket) this.lastFrameAt = this.clock.now();
    });
    socket.on('error', (err) => {
      if (this.socket !== socket) return;
      const status = /Unexpected server response: (\d+)/.exec(err.message);
      if (status && (status[1] === '401' || status[1] === '403')) {
        this.lastFailure = new MarketError('AUTH', `${this.options.label} refused the connection (HTTP ${status[1]}): check the credentials`, { provider: this.options.label, reason: `HTTP ${status[1]}` });
      } else {
        // Before the open the cause is the endpoint's (refused, unresolvable): name it.
        const where = this.ready ? '' : `Unable to connect to ${safeUrl}: `;
        this.lastFailure = new MarketError('NETWORK', `${this.options.label}: ${where}${err.message.split(target.url).join(safeUrl)}`, { provider: this.options.label });
      }
    });
    socket.on('close', (code, reasonBuffer) => {
      if (this.socket !== socket) return;
      this.socket = null;
      const wasReady = this.ready;
      this.ready = false;
      this.clearConnectionTimers();
      if (this.closing) return;
      const named = this.options.onClose?.({ code, reason: reasonBuffer.toString(), wasReady, failure: this.lastFailure });
      if (named) this.lastFailure = named;
      const reason = (named ? '' : reasonBuffer.toString()) || (this.lastFailure ? this.lastFailure.message : `closed with code ${code}`);
      this.log.debug(`${this.options.label}: socket closed (${code}${reasonBuffer.length ? ` ${reasonBuffer.toString()}` : ''})`);
      this.scheduleReconnect(wasReady ? `connection lost: ${reason}` : reason);
    });
  }

  private async handleOpen(socket: WebSocket): Promise<void> {
    if (this.socket !== socket) return;
    this.lastFailure = null;
    try {
      await this.options.onOpen?.(this);
    } catch (err) {
      if (this.socket === socket) this.fail(asMarketError(err, this.options.label));
      return;
    }
    if (this.socket !== socket || socket.readyState !== WebSocket.OPEN) return;
    this.clearTimer('connectTimer');
    this.ready = true;
    this.refusals = 0;
    this.opens += 1;
    this.lastFrameAt = this.clock.now();
    this.options.onState({ state: 'connected', detail: 'connected' });
    this.stableTimer = this.clock.setTimeout(() => {
      this.stableTimer = null;
      this.backoff.reset();
    }, this.backoff.resetAfterMs);
    const staleAfterMs = this.options.staleAfterMs;
    if (staleAfterMs > 0) {
      this.watchdogTimer = this.clock.setInterval(() => this.checkStale(socket), Math.max(50, Math.min(1_000, staleAfterMs / 4)));
    }
    const pingMs = this.options.pingIntervalMs ?? 0;
    if (pingMs > 0) {
      this.pingTimer = this.clock.setInterval(() => {
        if (this.socket === socket && socket.readyState === WebSocket.OPEN) socket.ping();
      }, pingMs);
    }
  }

  private checkStale(socket: WebSocket): void {
    if (this.socket !== socket || !this.ready) return;
    const silentMs = this.clock.now() - this.lastFrameAt;
    if (silentMs <= this.options.staleAfterMs) return;
    const seconds = Math.round(silentMs / 100) / 10;
    this.options.onState({ state: 'stale', detail: `no data for ${seconds} s` });
    this.dropSocket();
    this.scheduleReconnect(`stale: no data for ${seconds} s`);
  }

  private handleFailure(error: MarketError): void {
    this.lastFailure = error;
    this.scheduleReconnect(error.message);
  }

  private scheduleReconnect(reason: string): void {
    if (this.closing || this.retryTimer !== null) return;
    const failure = this.lastFailure;
    const backoffMs = this.backoff.next();
    const refused = failure?.code === 'AUTH';
    if (refused) this.refusals += 1;
    const refusedMs = refused ? this.backoff.refusedWaitMs(this.refusals) : 0;
    const retryInMs = Math.max(backoffMs, refusedMs, (failure && this.options.holdAfter?.(failure)) ?? 0);
    const attempt = this.backoff.attempt;
    // One line per failure, the same for every provider: who, what failed and why, the next try.
    this.log.warn(failureLine(this.options.label, reason, retryInMs, attempt));
    if (failure && (failure.code === 'AUTH' || failure.code === 'CONFIG')) {
      this.options.onState({ state: 'error', detail: failure.message, attempt, retryInMs, error: failure });
    } else {
      this.options.onState({ state: 'reconnecting', detail: reason, attempt, retryInMs });
    }
    this.retryTimer = this.clock.setTimeout(() => {
      this.retryTimer = null;
      void this.connect();
    }, retryInMs);
  }

  /** Forget the current socket without triggering its close handler's reconnect. */
  private dropSocket(): void {
    const socket = this.socket;
    this.socket = null;
    this.ready = false;
    this.clearConnectionTimers();
    if (socket) {
      socket.removeAllListeners();
      socket.on('error', () => undefined);
      socket.terminate();
    }
  }

  private clearConnectionTimers(): void {
    this.clearTimer('watchdogTimer');
    this.clearTimer('stableTimer');
    this.clearTimer('connectTimer');
    this.clearTimer('pingTimer');
  }

  private clearTimer(name: 'retryTimer' | 'watchdogTimer' | 'stableTimer' | 'connectTimer' | 'pingTimer'): void {
    const handle = this[name];
    if (handle === null) return;
    if (name === 'watchdogTimer' || name === 'pingTimer') this.clock.clearInterval(handle);
    else this.clock.clearTimeout(handle);
    this[name] = null;
  }

  private connectTimeoutMs(): number {
    return this.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  }
}

function closeGracefully(socket: WebSocket, clock: Clock): Promise<void> {
  return new Promise((resolve) => {
    socket.removeAllListeners();
    socket.on('error', () => undefined);
    if (socket.readyState === WebSocket.CLOSED) {
      resolve();
      return;
    }
    const timer = clock.setTimeout(() => {
      socket.terminate();
      resolve();
    }, CLOSE_GRACE_MS);
    socket.once('close', () => {
      clock.clearTimeout(timer);
      resolve();
    });
    if (socket.readyState === WebSocket.CONNECTING) socket.terminate();
    else socket.close(1000, 'closing');
  });
}

export function asMarketError(err: unknown, provider: string): MarketError {
  if (err instanceof MarketError) return err;
  return new MarketError('NETWORK', `${provider}: ${errorText(err)}`, { provider });
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * The log line of a failure, one format for every provider: `<provider>: <what failed and
 * why>; next try in <s> (attempt <n>)`. The provider's own `label: ` prefixes inside the reason
 * (they nest as errors are wrapped) are dropped.
 */
export function failureLine(label: string, reason: string, retryInMs: number, attempt?: number): string {
  return `${label}: ${withoutLabel(reason, label)}; next try in ${formatSeconds(retryInMs)}${attempt === undefined ? '' : ` (attempt ${attempt})`}`;
}

function withoutLabel(reason: string, label: string): string {
  return reason.split(`${label}: `).join('');
}

function formatSeconds(ms: number): string {
  return ms < 10_000 ? `${Math.round(ms / 100) / 10} s` : `${Math.round(ms / 1000)} s`;
}
