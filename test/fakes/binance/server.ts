/**
 * A local Binance Spot market-data server, written from docs/protocols/binance.md:
 *
 * - WebSocket `/stream` (combined: {"stream","data"}) and `/ws` (raw payloads), optional
 *   `?streams=a/b` / `/ws/<stream>` and `timeUnit=MICROSECOND`;
 * - SUBSCRIBE / UNSUBSCRIBE / LIST_SUBSCRIPTIONS / SET_PROPERTY / GET_PROPERTY with the
 *   documented answers and `{"error":{"code","msg"},"id"}` error frames; well-formed streams of
 *   unknown symbols are accepted silently and send nothing;
 * - limits: 5 incoming frames per second (control messages, pings and pongs) → close 1008
 *   "Too many requests"; 1024 streams per connection;
 * - a protocol ping every 20 s, close when no pong with the same payload within 60 s;
 * - the 24 h cut (`connectionLifetimeMs`) and `serverShutdown`;
 * - REST `/api/v3/depth` (lastUpdateId consistent with the diff stream) and `/api/v3/exchangeInfo`,
 *   `{"code":-1121,"msg":"Invalid symbol."}` for unknown symbols;
 * - a true book per symbol with its history by update id, for tests to compare against;
 * - faults: skipped depth diffs (gap), a stale snapshot, dropped sockets, a stall, garbage,
 *   error frames, the cut.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { systemClock } from '../../../src/transport/clock';
import type { Clock, TimerHandle } from '../../../src/model/clock';
import { FakeBinanceMarket, type Level, type SymbolSpec } from './market';
import { FaultHooks, sendThrough } from '../fault-hooks';

export interface FakeBinanceOptions {
  clock?: Clock;
  pingIntervalMs?: number;
  pongTimeoutMs?: number;
  /** Binance closes every connection after 24 h. */
  connectionLifetimeMs?: number;
  maxStreamsPerConnection?: number;
  maxIncomingPerSecond?: number;
  /** Delay before REST answers (lets diff events pile up before the snapshot). */
  restDelayMs?: number;
}

const VALID_INTERVALS = new Set(['1s', '1m', '3m', '5m', '15m', '30m', '1h', '2h', '4h', '6h', '8h', '12h', '1d', '3d', '1w', '1M']);
const METHODS = ['SUBSCRIBE', 'UNSUBSCRIBE', 'LIST_SUBSCRIPTIONS', 'SET_PROPERTY', 'GET_PROPERTY'];

export class FakeConnection {
  readonly socket: WebSocket;
  readonly index: number;
  readonly openedAt: number;
  readonly streams = new Set<string>();
  combined: boolean;
  readonly microseconds: boolean;
  /** Text frames received, in order. */
  readonly received: string[] = [];
  readonly incomingAt: number[] = [];
  pongsOk = 0;
  pongsWrong = 0;
  closedBy: string | null = null;
  pendingPing: { payload: string; deadline: TimerHandle } | null = null;
  timers: TimerHandle[] = [];

  constructor(socket: WebSocket, index: number, openedAt: number, combined: boolean, microseconds: boolean) {
    this.socket = socket;
    this.index = index;
    this.openedAt = openedAt;
    this.combined = combined;
    this.microseconds = microseconds;
  }

  get open(): boolean {
    return this.socket.readyState === this.socket.OPEN;
  }
}

export class FakeBinance {
  readonly http: http.Server;
  readonly wss: WebSocketServer;
  readonly markets = new Map<string, FakeBinanceMarket>();
  /** Every connection accepted, open or not. */
  readonly connections: FakeConnection[] = [];
  /** symbol → update id → true top 20 after that id. */
  readonly history = new Map<string, Map<number, { bids: Array<[number, number]>; asks: Array<[number, number]> }>>();
  /** Trade ids published, per symbol, in order. */
  readonly publishedTrades = new Map<string, number[]>();
  /** REST requests served, by path. */
  readonly restCalls: string[] = [];
  stalled = false;
  /** Drops on a client frame, rewritten outgoing frames (test/fakes/fault-hooks.ts). */
  readonly faults = new FaultHooks();
  private readonly options: Required<Omit<FakeBinanceOptions, 'clock'>>;
  private readonly clock: Clock;
  private readonly staleSnapshots = new Map<string, string>();
  private readonly recordedSnapshots = new Map<string, string>();

  private constructor(options: FakeBinanceOptions) {
    this.clock = options.clock ?? systemClock;
    this.options = {
      pingIntervalMs: options.pingIntervalMs ?? 20_000,
      pongTimeoutMs: options.pongTimeoutMs ?? 60_000,
      connectionLifetimeMs: options.connectionLifetimeMs ?? 24 * 3_600_000,
      maxStreamsPerConnection: options.maxStreamsPerConnection ?? 1024,
      maxIncomingPerSecond: options.maxIncomingPerSecond ?? 5,
      restDelayMs: options.restDelayMs ?? 0,
    };
    this.http = http.createServer((req, res) => this.rest(req, res));
    this.wss = new WebSocketServer({ noServer: true });
    this.http.on('upgrade', (req, socket, head) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (!url.pathname.startsWith('/ws') && !url.pathname.startsWith('/stream')) {
        socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, url));
    });
  }

  static async start(options: FakeBinanceOptions = {}): Promise<FakeBinance> {
    const fake = new FakeBinance(options);
    await new Promise<void>((resolve) => fake.http.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get port(): number {
    return (this.http.address() as AddressInfo).port;
  }

  /** The combined-stream URL, as the config node's `endpoint`. */
  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}/stream`;
  }

  /** The REST base, as the config node's `restEndpoint`. */
  get restUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get openConnections(): FakeConnection[] {
    return this.connections.filter((connection) => connection.open);
  }

  list(symbol: string, spec: SymbolSpec = {}): FakeBinanceMarket {
    const market = new FakeBinanceMarket(symbol, spec);
    this.markets.set(symbol, market);
    this.record(market);
    return market;
  }

  market(symbol: string): FakeBinanceMarket {
    const market = this.markets.get(symbol);
    if (!market) throw new Error(`fake binance: ${symbol} is not listed`);
    return market;
  }

  /** Moves the book and publishes the diff event (and bookTicker when the top changed). */
  bookStep(symbol: string, changes?: number): number {
    const market = this.market(symbol);
    const topBefore = market.top(1);
    const change = market.step(changes);
    this.record(market);
    const lower = symbol.toLowerCase();
    this.publish(`${lower}@depth@100ms`, (micro) => {
      const E = this.time(micro);
      return `{"e":"depthUpdate","E":${E},"s":"${symbol}","U":${change.firstId},"u":${change.finalId},"b":${levelsJson(change.bids)},"a":${levelsJson(change.asks)}}`;
    });
    this.publish(`${lower}@depth`, (micro) => `{"e":"depthUpdate","E":${this.time(micro)},"s":"${symbol}","U":${change.firstId},"u":${change.finalId},"b":${levelsJson(change.bids)},"a":${levelsJson(change.asks)}}`);
    const top = market.top(1);
    if (JSON.stringify(top) !== JSON.stringify(topBefore)) {
      const [bid, bidQty] = top.bids[0] ?? ['0.00', '0.00'];
      const [ask, askQty] = top.asks[0] ?? ['0.00', '0.00'];
      this.publish(`${lower}@bookTicker`, () => `{"u":${change.finalId},"s":"${symbol}","b":"${bid}","B":"${bidQty}","a":"${ask}","A":"${askQty}"}`);
    }
    return change.finalId;
  }

  /** Moves the true book without sending the diff: subscribers now have a gap. */
  skipDepthDiff(symbol: string, changes?: number): number {
    const market = this.market(symbol);
    const change = market.step(changes);
    this.record(market);
    return change.finalId;
  }

  /** Publishes one trade (trade and aggTrade streams). */
  trade(symbol: string): number {
    const market = this.market(symbol);
    const trade = market.trade();
    market.aggTradeId += 1;
    const aggId = market.aggTradeId;
    const ids = this.publishedTrades.get(symbol) ?? [];
    ids.push(trade.id);
    this.publishedTrades.set(symbol, ids);
    const lower = symbol.toLowerCase();
    this.publish(`${lower}@trade`, (micro) => {
      const T = this.time(micro);
      return `{"e":"trade","E":${T},"s":"${symbol}","t":${trade.id},"p":"${trade.price}","q":"${trade.qty}","T":${T},"m":${trade.buyerMaker},"M":true}`;
    });
    this.publish(`${lower}@aggTrade`, (micro) => {
      const T = this.time(micro);
      return `{"e":"aggTrade","E":${T},"s":"${symbol}","a":${aggId},"p":"${trade.price}","q":"${trade.qty}","f":${trade.id},"l":${trade.id},"T":${T},"m":${trade.buyerMaker},"M":true}`;
    });
    return trade.id;
  }

  /** Publishes a kline update for the bucket containing now. */
  kline(symbol: string, interval: string, closed = false): void {
    const market = this.market(symbol);
    const stepMs = interval === '1s' ? 1000 : 60_000;
    const now = this.clock.now();
    const start = now - (now % stepMs);
    const price = market.price(market.bestBid());
    this.publish(`${symbol.toLowerCase()}@kline_${interval}`, (micro) => {
      const unit = micro ? 1000 : 1;
      const k = `{"t":${start * unit},"T":${(start + stepMs) * unit - 1},"s":"${symbol}","i":"${interval}","f":1,"L":2,"o":"${price}","c":"${price}","h":"${price}","l":"${price}","v":"1.00000","n":2,"x":${closed},"q":"1.0","V":"0.5","Q":"0.5","B":"0"}`;
      return `{"e":"kline","E":${this.time(micro)},"s":"${symbol}","k":${k}}`;
    });
  }

  /** Sends a recorded frame to the connections subscribed to its stream (combined frames are unwrapped for raw connections). */
  replay(line: string): void {
    const frame = JSON.parse(line) as { stream: string; data: unknown };
    const data = JSON.stringify(frame.data);
    this.publish(frame.stream, () => data);
  }

  /** Serves this body for the symbol's next REST depth requests (a recorded snapshot). */
  serveSnapshot(symbol: string, body: string): void {
    this.recordedSnapshots.set(symbol, body);
  }

  /** The next REST depth request for the symbol gets the book as it is now, however much it moves meanwhile. */
  serveStaleSnapshotOnce(symbol: string): void {
    this.staleSnapshots.set(symbol, this.depthBody(this.market(symbol), 1000));
  }

  /** Sends a frame to every open connection, as is. */
  broadcast(text: string): void {
    for (const connection of this.openConnections) this.send(connection, text);
  }

  /** Announces the shutdown, then closes every connection open now after `closeAfterMs`. */
  serverShutdown(closeAfterMs: number): void {
    for (const connection of this.openConnections) {
      const E = this.clock.now();
      this.send(connection, connection.combined ? `{"stream":"!serverShutdown","data":{"e":"serverShutdown","E":${E}}}` : `{"e":"serverShutdown","E":${E}}`);
      connection.timers.push(this.clock.setTimeout(() => this.closeConnection(connection, 1001, 'server shutdown'), closeAfterMs));
    }
  }

  /** Drops every connection without a close frame, like a network failure. */
  dropAll(): void {
    for (const connection of this.openConnections) {
      connection.closedBy = 'drop';
      connection.socket.terminate();
    }
  }

  trueTop(symbol: string, depth: number): { bids: Array<[number, number]>; asks: Array<[number, number]> } {
    return this.market(symbol).topNumbers(depth);
  }

  async close(): Promise<void> {
    for (const connection of this.connections) this.clearTimers(connection);
    for (const client of this.wss.clients) client.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  private record(market: FakeBinanceMarket): void {
    let byId = this.history.get(market.symbol);
    if (!byId) {
      byId = new Map();
      this.history.set(market.symbol, byId);
    }
    byId.set(market.updateId, market.topNumbers(20));
  }

  private time(micro: boolean): number {
    return micro ? this.clock.now() * 1000 : this.clock.now();
  }

  private publish(stream: string, payload: (micro: boolean) => string): void {
    const cache: Partial<Record<'ms' | 'us', string>> = {};
    for (const connection of this.connections) {
      if (!connection.open || !connection.streams.has(stream)) continue;
      const unit = connection.microseconds ? 'us' : 'ms';
      const data = (cache[unit] ??= payload(connection.microseconds));
      this.send(connection, connection.combined ? `{"stream":"${stream}","data":${data}}` : data);
    }
  }

  private send(connection: FakeConnection, text: string): void {
    if (!this.stalled && connection.open) sendThrough(this.faults, connection.socket, text);
  }

  private accept(ws: WebSocket, url: URL): void {
    const combined = url.pathname.startsWith('/stream');
    const timeUnit = (url.searchParams.get('timeUnit') ?? '').toUpperCase();
    const connection = new FakeConnection(ws, this.connections.length, this.clock.now(), combined, timeUnit === 'MICROSECOND');
    this.connections.push(connection);
    this.faults.accepted(ws);
    const initial = combined ? (url.searchParams.get('streams') ?? '').split('/') : url.pathname.split('/').slice(2);
    for (const stream of initial) if (stream && isValidStream(stream)) connection.streams.add(stream);

    ws.on('message', (data, isBinary) => {
      if (this.faults.incoming(ws, data.toString())) return;
      if (!this.countIncoming(connection)) return;
      const text = data.toString();
      connection.received.push(text);
      if (!isBinary) this.control(connection, text);
    });
    ws.on('ping', () => this.countIncoming(connection));
    ws.on('pong', (payload) => {
      if (!this.countIncoming(connection)) return;
      const pending = connection.pendingPing;
      if (pending && payload.toString() === pending.payload) {
        connection.pongsOk += 1;
        this.clock.clearTimeout(pending.deadline);
        connection.pendingPing = null;
      } else {
        connection.pongsWrong += 1; // an unsolicited pong does not keep the connection alive
      }
    });
    ws.on('close', () => this.clearTimers(connection));
    ws.on('error', () => undefined);

    connection.timers.push(
      this.clock.setInterval(() => {
        if (this.stalled || !connection.open || connection.pendingPing) return;
        const payload = String(this.clock.now());
        const deadline = this.clock.setTimeout(() => this.closeConnection(connection, 1008, 'Pong timeout'), this.options.pongTimeoutMs);
        connection.pendingPing = { payload, deadline };
        connection.socket.ping(payload);
      }, this.options.pingIntervalMs),
      this.clock.setTimeout(() => this.closeConnection(connection, 1001, '24 hours'), this.options.connectionLifetimeMs),
    );
  }

  /** Counts an incoming frame against the 5-per-second limit; closes the connection when over it. */
  private countIncoming(connection: FakeConnection): boolean {
    const now = this.clock.now();
    const recent = connection.incomingAt;
    recent.push(now);
    while (recent.length > 0 && (recent[0] as number) <= now - 1000) recent.shift();
    if (recent.length > this.options.maxIncomingPerSecond) {
      this.closeConnection(connection, 1008, 'Too many requests');
      return false;
    }
    return true;
  }

  private control(connection: FakeConnection, text: string): void {
    let request: { method?: unknown; params?: unknown; id?: unknown };
    try {
      request = JSON.parse(text) as typeof request;
    } catch {
      this.reply(connection, null, { code: 3, msg: 'Invalid JSON: expected value at line 1 column 1' });
      return;
    }
    const id = request.id;
    if (id !== null && !(typeof id === 'number' && Number.isInteger(id) && id >= 0)) {
      this.reply(connection, null, { code: 2, msg: 'Invalid request: request ID must be an unsigned integer' });
      return;
    }
    if (typeof request.method !== 'string') {
      this.reply(connection, id, { code: 2, msg: `Invalid request: missing field \`method\` at line 1 column ${text.length}` });
      return;
    }
    if (!METHODS.includes(request.method)) {
      this.reply(connection, id, { code: 2, msg: `Invalid request: unknown variant \`${request.method}\`, expected one of \`SUBSCRIBE\`, \`UNSUBSCRIBE\`, \`LIST_SUBSCRIPTIONS\`, \`SET_PROPERTY\`, \`GET_PROPERTY\` at line 1 column 28` });
      return;
    }
    const params = Array.isArray(request.params) ? (request.params as unknown[]) : [];
    switch (request.method) {
      case 'SUBSCRIBE': {
        if (!params.every((p): p is string => typeof p === 'string' && isValidStream(p))) {
          this.reply(connection, id, { code: 2, msg: 'Invalid request: invalid stream' });
          return;
        }
        const fresh = new Set(params.filter((p) => !connection.streams.has(p)));
        if (connection.streams.size + fresh.size > this.options.maxStreamsPerConnection) {
          this.reply(connection, id, { code: 4, msg: 'Too many subscriptions' });
          return;
        }
        for (const stream of fresh) connection.streams.add(stream);
        this.send(connection, `{"result":null,"id":${String(id)}}`);
        return;
      }
      case 'UNSUBSCRIBE':
        for (const stream of params) if (typeof stream === 'string') connection.streams.delete(stream);
        this.send(connection, `{"result":null,"id":${String(id)}}`);
        return;
      case 'LIST_SUBSCRIPTIONS':
        this.send(connection, JSON.stringify({ result: [...connection.streams], id }));
        return;
      case 'SET_PROPERTY':
        if (params[0] !== 'combined') this.reply(connection, id, { code: 0, msg: 'Unknown property' });
        else if (typeof params[1] !== 'boolean') this.reply(connection, id, { code: 1, msg: 'Invalid value type: expected Boolean' });
        else {
          connection.combined = params[1];
          this.send(connection, `{"result":null,"id":${String(id)}}`);
        }
        return;
      default:
        if (params[0] !== 'combined') this.reply(connection, id, { code: 0, msg: 'Unknown property' });
        else this.send(connection, JSON.stringify({ result: connection.combined, id }));
    }
  }

  private reply(connection: FakeConnection, id: unknown, error: { code: number; msg: string }): void {
    this.send(connection, JSON.stringify({ error, id: id ?? null }));
  }

  private closeConnection(connection: FakeConnection, code: number, reason: string): void {
    if (!connection.open) return;
    connection.closedBy = reason;
    this.clearTimers(connection);
    connection.socket.close(code, reason);
  }

  private clearTimers(connection: FakeConnection): void {
    for (const timer of connection.timers) {
      this.clock.clearTimeout(timer);
      this.clock.clearInterval(timer);
    }
    connection.timers = [];
    if (connection.pendingPing) this.clock.clearTimeout(connection.pendingPing.deadline);
    connection.pendingPing = null;
  }

  private rest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    this.restCalls.push(`${url.pathname}${url.search}`);
    const answer = (status: number, body: string): void => {
      const send = (): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(body);
      };
      if (this.options.restDelayMs > 0) setTimeout(send, this.options.restDelayMs);
      else send();
    };
    const symbol = url.searchParams.get('symbol');
    if (url.pathname !== '/api/v3/depth' && url.pathname !== '/api/v3/exchangeInfo') {
      answer(404, '{"code":-1000,"msg":"Not found."}');
      return;
    }
    if (url.pathname === '/api/v3/exchangeInfo' && !symbol) {
      // `symbols=["A","B"]` (all must exist, or -1121 for the whole list) or no parameter: every listed symbol.
      const listText = url.searchParams.get('symbols');
      let names: string[];
      if (listText === null) names = [...this.markets.keys()];
      else {
        try {
          const parsed: unknown = JSON.parse(listText);
          if (!Array.isArray(parsed) || !parsed.every((item) => typeof item === 'string')) throw new Error('not a list');
          names = parsed as string[];
        } catch {
          answer(400, `{"code":-1100,"msg":"Illegal characters found in parameter 'symbols'; legal range is '^\\[(\"[A-Z0-9-_.]{1,20}\"(,\"[A-Z0-9-_.]{1,20}\"){0,}){0,1}\\]$'."}`);
          return;
        }
        if (names.some((name) => !this.markets.has(name))) {
          answer(400, '{"code":-1121,"msg":"Invalid symbol."}');
          return;
        }
      }
      const symbols = names.map((name) => ({ symbol: name, status: this.markets.get(name)?.status ?? 'TRADING', baseAsset: name.slice(0, 3), quoteAsset: name.slice(3) }));
      answer(200, JSON.stringify({ timezone: 'UTC', serverTime: this.clock.now(), rateLimits: [], exchangeFilters: [], symbols }));
      return;
    }
    if (!symbol) {
      answer(400, `{"code":-1102,"msg":"Mandatory parameter 'symbol' was not sent, was empty/null, or malformed."}`);
      return;
    }
    const recorded = this.recordedSnapshots.get(symbol);
    const market = this.markets.get(symbol);
    if (!market && !recorded) {
      answer(400, '{"code":-1121,"msg":"Invalid symbol."}');
      return;
    }
    if (url.pathname === '/api/v3/exchangeInfo') {
      const status = market?.status ?? 'TRADING';
      answer(200, JSON.stringify({ timezone: 'UTC', serverTime: this.clock.now(), rateLimits: [], exchangeFilters: [], symbols: [{ symbol, status, baseAsset: symbol.slice(0, 3), quoteAsset: symbol.slice(3) }] }));
      return;
    }
    const limit = Number(url.searchParams.get('limit') ?? '100');
    if (!Number.isInteger(limit) || limit < 1 || limit > 5000) {
      answer(400, `{"code":-1100,"msg":"Illegal characters found in parameter 'limit'; legal range is '1-5000'."}`);
      return;
    }
    if (recorded) {
      answer(200, recorded);
      return;
    }
    const stale = this.staleSnapshots.get(symbol);
    if (stale) {
      this.staleSnapshots.delete(symbol);
      answer(200, stale);
      return;
    }
    answer(200, this.depthBody(market as FakeBinanceMarket, limit));
  }

  private depthBody(market: FakeBinanceMarket, limit: number): string {
    const top = market.top(limit);
    return `{"lastUpdateId":${market.updateId},"bids":${levelsJson(top.bids)},"asks":${levelsJson(top.asks)}}`;
  }
}

function levelsJson(levels: Level[]): string {
  return `[${levels.map(([p, q]) => `["${p}","${q}"]`).join(',')}]`;
}

/** `<symbol>@<type>` with a lower-case symbol and a documented stream type. */
export function isValidStream(stream: string): boolean {
  const at = stream.indexOf('@');
  if (at <= 0) return false;
  const symbol = stream.slice(0, at);
  if (!/^[a-z0-9]+$/.test(symbol)) return false;
  const type = stream.slice(at + 1);
  if (['trade', 'aggTrade', 'bookTicker', 'depth', 'depth@100ms', 'depth@1000ms', 'miniTicker', 'ticker', 'avgPrice'].includes(type)) return true;
  if (/^depth(5|10|20)(@100ms)?$/.test(type)) return true;
  const kline = /^kline_([0-9]+[smhdwM])(@\+08:00)?$/.exec(type);
  return kline !== null && VALID_INTERVALS.has(kline[1] as string);
}
