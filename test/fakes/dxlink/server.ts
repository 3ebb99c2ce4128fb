/**
 * A local DXLink server written from docs/protocols/dxlink-tastytrade.md (§3, §6, §10),
 * not from our adapter: SETUP, AUTH/AUTH_STATE (the "auth required" notice, then the verdict),
 * CHANNEL_REQUEST/OPENED/CANCEL/CLOSED, FEED_SETUP → FEED_CONFIG, FEED_SUBSCRIPTION
 * add/remove/reset, FEED_DATA in COMPACT (one event type per frame)
 * or FULL, KEEPALIVE both ways and ERROR TIMEOUT for a silent client.
 *
 * Faults: reject or expire tokens, drop sockets, stall (send nothing), switch a channel's
 * format mid-session, close a channel, and replay recorded frames.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { FaultHooks, sendThrough } from '../fault-hooks';

export type DxFrame = { type: string; channel: number } & Record<string, unknown>;
export type DxEventRecord = { eventType: string; eventSymbol: string } & Record<string, unknown>;

interface FeedChannel {
  id: number;
  service: string;
  format: 'FULL' | 'COMPACT';
  eventFields: Record<string, string[]>;
  subscriptions: Set<string>;
}

interface Connection {
  socket: WebSocket;
  authorized: boolean;
  setupDone: boolean;
  clientKeepaliveTimeoutS: number;
  lastHeardAt: number;
  lastSentAt: number;
  channels: Map<number, FeedChannel>;
  received: DxFrame[];
  /** Sends nothing any more (a stalled peer that keeps the socket open). */
  stalled: boolean;
}

export interface FakeDxlinkOptions {
  /** Require AUTH with a token from `tokens` (false: AUTHORIZED right after SETUP, like the demo). */
  requireAuth?: boolean;
  /** keepaliveTimeout announced in our SETUP, seconds (the client reconnects after this much silence). */
  keepaliveTimeoutS?: number;
  /** Send KEEPALIVE after this much silence on our side, ms. */
  keepaliveIntervalMs?: number;
  /** Time source for token expiry (tests pass their fake clock). */
  now?: () => number;
  /** Listen on this port (default: an ephemeral one). */
  port?: number;
}

/** Default field lists when the client asks for none (§10 item 5). */
const DEFAULT_FIELDS: Record<string, string[]> = {
  Quote: ['eventType', 'eventSymbol', 'bidPrice', 'askPrice', 'bidSize', 'askSize'],
  Trade: ['eventType', 'eventSymbol', 'price', 'size', 'dayVolume'],
  Greeks: ['eventType', 'eventSymbol', 'volatility', 'delta', 'gamma', 'theta', 'rho', 'vega'],
  Summary: ['eventType', 'eventSymbol', 'dayOpenPrice', 'dayHighPrice', 'dayLowPrice', 'prevDayClosePrice', 'openInterest'],
};

export class FakeDxlinkServer {
  readonly http: http.Server;
  private readonly wss: WebSocketServer;
  private readonly options: Required<Omit<FakeDxlinkOptions, 'now' | 'port'>> & { now: () => number };
  private readonly live = new Set<Connection>();
  private timer: NodeJS.Timeout | null = null;
  /** Token → expiry (epoch ms on options.now). */
  readonly tokens = new Map<string, number>();
  /** Upgrades accepted. */
  connections = 0;
  /** AUTH messages received, and how many were refused. */
  authAttempts = 0;
  authRejections = 0;
  /** When set, FEED_SETUP gets this format whatever the client asked (§9: servers ignore the request). */
  forceFormat: 'FULL' | 'COMPACT' | null = null;
  /** When true, FEED_CONFIG lists each type's fields in reverse order of the request: COMPACT order is the server's. */
  reorderFields = false;
  /** Frames of every connection, in order, for assertions. */
  readonly frames: DxFrame[][] = [];
  /** Drops on a client frame, rewritten outgoing frames (test/fakes/fault-hooks.ts). */
  readonly faults = new FaultHooks();

  private constructor(options: FakeDxlinkOptions) {
    const { port: _port, ...rest } = options;
    this.options = { requireAuth: true, keepaliveTimeoutS: 60, keepaliveIntervalMs: 30_000, now: Date.now, ...rest };
    this.http = http.createServer();
    this.wss = new WebSocketServer({ noServer: true });
    // Any path, with or without the dxlink-ws subprotocol (§1, §10 item 1).
    this.http.on('upgrade', (req, socket, head) => this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws)));
  }

  static async start(options: FakeDxlinkOptions = {}): Promise<FakeDxlinkServer> {
    const server = new FakeDxlinkServer(options);
    await new Promise<void>((resolve) => server.http.listen(options.port ?? 0, '127.0.0.1', resolve));
    server.url = `ws://127.0.0.1:${(server.http.address() as AddressInfo).port}/realtime`;
    server.timer = setInterval(() => server.checkKeepalive(), 200);
    return server;
  }

  /** Set once listening; kept after close (a test may restart a server on the same port). */
  url = '';

  /** Sockets open now. */
  get openSockets(): number {
    return this.live.size;
  }

  /** Subscriptions (`Type:symbol`) of every open FEED channel. */
  subscriptions(): string[] {
    return [...this.live].flatMap((c) => [...c.channels.values()].flatMap((ch) => [...ch.subscriptions])).sort();
  }

  /** Sends events to every channel subscribed to them, in that channel's format, one type per frame. */
  publish(records: DxEventRecord[]): number {
    let sent = 0;
    for (const connection of this.live) {
      for (const channel of connection.channels.values()) {
        const byType = new Map<string, DxEventRecord[]>();
        for (const record of records) {
          if (!channel.subscriptions.has(`${record.eventType}:${record.eventSymbol}`)) continue;
          byType.set(record.eventType, [...(byType.get(record.eventType) ?? []), record]);
        }
        for (const [type, list] of byType) {
          this.send(connection, { type: 'FEED_DATA', channel: channel.id, data: encode(channel, type, list) });
          sent += list.length;
        }
      }
    }
    return sent;
  }

  /** Replays a recorded frame to every authorized socket; a channel ≠ 0 becomes each socket's open FEED channel. */
  replay(frame: DxFrame): void {
    for (const connection of this.live) {
      if (!connection.authorized) continue;
      if (frame.channel === 0) {
        this.send(connection, frame);
        continue;
      }
      for (const channel of connection.channels.values()) {
        if (frame.type === 'FEED_CONFIG') this.applyConfig(channel, frame);
        this.send(connection, { ...frame, channel: channel.id });
      }
    }
  }

  /** The server closes every FEED channel on its own (CHANNEL_CLOSED). */
  closeChannels(): void {
    for (const connection of this.live) {
      for (const id of [...connection.channels.keys()]) {
        connection.channels.delete(id);
        this.send(connection, { type: 'CHANNEL_CLOSED', channel: id });
      }
    }
  }

  /** The open sockets go silent (KEEPALIVE included) but stay open; new connections work. */
  stallAll(): void {
    for (const connection of this.live) connection.stalled = true;
  }

  /** Drops every socket without a close frame, like a network failure. */
  dropAll(): void {
    for (const connection of this.live) connection.socket.terminate();
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    for (const connection of this.live) connection.socket.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  private accept(socket: WebSocket): void {
    this.connections += 1;
    const received: DxFrame[] = [];
    this.frames.push(received);
    const connection: Connection = { socket, authorized: false, setupDone: false, clientKeepaliveTimeoutS: 60, lastHeardAt: Date.now(), lastSentAt: Date.now(), channels: new Map(), received, stalled: false };
    this.live.add(connection);
    this.faults.accepted(socket);
    socket.on('message', (data) => {
      if (!this.faults.incoming(socket, data.toString())) this.handle(connection, data.toString());
    });
    socket.on('close', () => this.live.delete(connection));
    socket.on('error', () => this.live.delete(connection));
  }

  private handle(connection: Connection, text: string): void {
    connection.lastHeardAt = Date.now();
    let frame: DxFrame;
    try {
      frame = JSON.parse(text) as DxFrame;
    } catch {
      this.send(connection, { type: 'ERROR', channel: 0, error: 'INVALID_MESSAGE', message: 'The message is not valid JSON.' });
      return;
    }
    connection.received.push(frame);
    if (typeof frame.type !== 'string' || typeof frame.channel !== 'number') {
      this.send(connection, { type: 'ERROR', channel: 0, error: 'INVALID_MESSAGE', message: 'type and channel are required' });
      return;
    }
    switch (frame.type) {
      case 'SETUP':
        connection.setupDone = true;
        if (typeof frame.keepaliveTimeout === 'number') connection.clientKeepaliveTimeoutS = frame.keepaliveTimeout;
        this.send(connection, { type: 'SETUP', channel: 0, keepaliveTimeout: this.options.keepaliveTimeoutS, acceptKeepaliveTimeout: 60, version: '1.0-fake-dxlink' });
        // The notice: auth is required (UNAUTHORIZED) or not (AUTHORIZED) — §3.1, §7 item 2.
        if (!this.options.requireAuth) connection.authorized = true;
        this.send(connection, { type: 'AUTH_STATE', channel: 0, state: connection.authorized ? 'AUTHORIZED' : 'UNAUTHORIZED' });
        return;
      case 'AUTH':
        this.authenticate(connection, frame);
        return;
      case 'KEEPALIVE':
        return;
      case 'CHANNEL_REQUEST':
        this.openChannel(connection, frame);
        return;
      case 'CHANNEL_CANCEL':
        connection.channels.delete(frame.channel);
        this.send(connection, { type: 'CHANNEL_CLOSED', channel: frame.channel });
        return;
      case 'FEED_SETUP':
      case 'FEED_SUBSCRIPTION': {
        const channel = connection.channels.get(frame.channel);
        if (!channel) {
          this.send(connection, { type: 'ERROR', channel: frame.channel, error: 'BAD_ACTION', message: `channel ${frame.channel} is not open` });
          return;
        }
        if (frame.type === 'FEED_SETUP') this.setupFeed(connection, channel, frame);
        else subscribe(channel, frame);
        return;
      }
      default:
        this.send(connection, { type: 'ERROR', channel: frame.channel, error: 'BAD_ACTION', message: `unknown message type ${frame.type}` });
    }
  }

  private authenticate(connection: Connection, frame: DxFrame): void {
    this.authAttempts += 1;
    if (!this.options.requireAuth) {
      connection.authorized = true;
      this.send(connection, { type: 'AUTH_STATE', channel: 0, state: 'AUTHORIZED' });
      return;
    }
    const token = typeof frame.token === 'string' ? frame.token : '';
    const expiresAt = this.tokens.get(token);
    if (expiresAt !== undefined && expiresAt > this.options.now()) {
      connection.authorized = true;
      this.send(connection, { type: 'AUTH_STATE', channel: 0, state: 'AUTHORIZED', userId: 'fake-user' });
      return;
    }
    this.authRejections += 1;
    connection.authorized = false;
    this.send(connection, { type: 'ERROR', channel: 0, error: 'UNAUTHORIZED', message: expiresAt === undefined ? 'Token is invalid' : 'Token has expired' });
    this.send(connection, { type: 'AUTH_STATE', channel: 0, state: 'UNAUTHORIZED' });
    // "…or close the connection if the authorization is unsuccessful" (spec AuthMessage).
    setTimeout(() => connection.socket.close(1008, 'unauthorized'), 20);
  }

  private openChannel(connection: Connection, frame: DxFrame): void {
    if (!connection.authorized) {
      this.send(connection, { type: 'ERROR', channel: 0, error: 'UNAUTHORIZED', message: 'authorize first' });
      return;
    }
    if (frame.channel <= 0 || frame.channel % 2 === 0 || frame.service !== 'FEED') {
      this.send(connection, { type: 'ERROR', channel: frame.channel, error: 'BAD_ACTION', message: 'FEED channels only, on odd channel numbers' });
      return;
    }
    // A re-request replaces the channel: its subscriptions start empty again.
    connection.channels.set(frame.channel, { id: frame.channel, service: 'FEED', format: 'FULL', eventFields: {}, subscriptions: new Set() });
    const parameters = (frame.parameters ?? {}) as Record<string, unknown>;
    this.send(connection, { type: 'CHANNEL_OPENED', channel: frame.channel, service: 'FEED', parameters: { ...parameters, subFormat: 'LIST' } });
  }

  private setupFeed(connection: Connection, channel: FeedChannel, frame: DxFrame): void {
    const requestedFormat = frame.acceptDataFormat === 'COMPACT' ? 'COMPACT' : frame.acceptDataFormat === 'FULL' ? 'FULL' : channel.format;
    channel.format = this.forceFormat ?? requestedFormat;
    const accept = (frame.acceptEventFields ?? {}) as Record<string, string[]>;
    for (const [type, fields] of Object.entries({ ...DEFAULT_FIELDS, ...accept })) {
      const list = fields.includes('eventType') ? [...fields] : ['eventType', ...fields];
      channel.eventFields[type] = this.reorderFields ? [...list].reverse() : list;
    }
    this.send(connection, { type: 'FEED_CONFIG', channel: channel.id, dataFormat: channel.format, aggregationPeriod: typeof frame.acceptAggregationPeriod === 'number' ? frame.acceptAggregationPeriod : 0.1, eventFields: channel.eventFields });
  }

  private applyConfig(channel: FeedChannel, frame: DxFrame): void {
    if (frame.dataFormat === 'FULL' || frame.dataFormat === 'COMPACT') channel.format = frame.dataFormat;
    if (frame.eventFields) Object.assign(channel.eventFields, frame.eventFields as Record<string, string[]>);
  }

  private send(connection: Connection, frame: DxFrame): void {
    if (connection.stalled || connection.socket.readyState !== connection.socket.OPEN) return;
    connection.lastSentAt = Date.now();
    sendThrough(this.faults, connection.socket, JSON.stringify(frame));
  }

  /** KEEPALIVE when we have been quiet; ERROR TIMEOUT and close when the client has (§6). */
  private checkKeepalive(): void {
    const now = Date.now();
    for (const connection of this.live) {
      if (now - connection.lastHeardAt > connection.clientKeepaliveTimeoutS * 1000) {
        this.send(connection, { type: 'ERROR', channel: 0, error: 'TIMEOUT', message: `The timeout has been reached. The message was last received ${Math.round((now - connection.lastHeardAt) / 1000)} seconds ago.` });
        connection.socket.close();
      } else if (connection.setupDone && now - connection.lastSentAt >= this.options.keepaliveIntervalMs) {
        this.send(connection, { type: 'KEEPALIVE', channel: 0 });
      }
    }
  }
}

function subscribe(channel: FeedChannel, frame: DxFrame): void {
  const key = (item: { type?: unknown; symbol?: unknown }): string => `${String(item.type)}:${String(item.symbol)}`;
  // reset is processed before add when both are present (§3.3).
  if (frame.reset === true) channel.subscriptions.clear();
  for (const item of (frame.remove ?? []) as Array<{ type?: unknown; symbol?: unknown }>) channel.subscriptions.delete(key(item));
  for (const item of (frame.add ?? []) as Array<{ type?: unknown; symbol?: unknown; fromTime?: unknown }>) {
    // Time-series subscriptions need fromTime (§3.3); without it the server would not serve history.
    if (item.type === 'Candle' && typeof item.fromTime !== 'number') continue;
    channel.subscriptions.add(key(item));
  }
}

/** Text fields: sent as "" when absent (numbers as "NaN"). */
const TEXT_FIELDS = new Set(['eventType', 'eventSymbol', 'bidExchangeCode', 'askExchangeCode', 'exchangeCode', 'aggressorSide', 'exchangeSaleConditions', 'type', 'description', 'tickDirection']);

/** FEED_DATA payload for events of one type: COMPACT values in the channel's field order ("NaN" for anything missing), or FULL objects. */
function encode(channel: FeedChannel, type: string, records: DxEventRecord[]): unknown[] {
  const fields = channel.eventFields[type] ?? ['eventType', 'eventSymbol', ...Object.keys(records[0]!).filter((k) => k !== 'eventType' && k !== 'eventSymbol')];
  if (channel.format === 'FULL') {
    return records.map((record) => Object.fromEntries(fields.filter((f) => record[f] !== undefined).map((f) => [f, record[f]])));
  }
  return [type, records.flatMap((record) => fields.map((f) => (record[f] !== undefined ? record[f] : TEXT_FIELDS.has(f) ? '' : 'NaN')))];
}
