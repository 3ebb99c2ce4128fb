/**
 * A local Kraken Spot WebSocket v2 server, written from docs/protocols/kraken.md:
 *
 * - path /v2; a `status` message on connect; `heartbeat` every second when nothing else was
 *   sent; `ping` → `pong` with req_id, time_in, time_out; a connection that sends nothing and
 *   has no subscription is closed after a minute;
 * - subscribe / unsubscribe with a `symbol` array, answered one message per symbol
 *   ({method, result:{channel, symbol, …}, success, time_in, time_out, req_id}); an unknown pair
 *   gets `{"error":"Currency pair not supported <pair>","success":false,"symbol":…}`;
 * - prices and quantities written as JSON numbers with the pair's full precision, trailing zeros
 *   kept (the text is written by hand: JSON.stringify would drop them), RFC 3339 µs times;
 * - book: snapshot of `depth` levels then updates with Kraken's truncation semantics (no delete
 *   for a level pushed out of range; a level entering the range is sent), a CRC-32 checksum of
 *   the top 10 levels on every message; ticker (bbo), trade (taker side), ohlc (interval_begin);
 * - a true book per pair with its history by message timestamp;
 * - faults: a corrupted checksum, a lost update, a wrong level, dropped sockets, a stall, and
 *   any frame as is through `broadcast` (garbage, recorded refusals).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { crc32 } from 'node:zlib';
import { WebSocketServer, type WebSocket } from 'ws';
import { formatFixed, seededRandom } from '../binance/market';
import { FaultHooks, sendThrough } from '../fault-hooks';

export interface FakeKrakenOptions {
  heartbeatMs?: number;
  idleCloseMs?: number;
  /** Record requests, answer nothing: the test sends recorded frames itself. */
  silent?: boolean;
}

type Side = Map<number, number>;
type View = { bids: Array<[number, number]>; asks: Array<[number, number]> };

export class FakePair {
  readonly symbol: string;
  readonly pricePrecision: number;
  readonly qtyPrecision: number;
  readonly bids: Side = new Map();
  readonly asks: Side = new Map();
  tradeId = 109_116_000;
  private readonly random: () => number;

  constructor(symbol: string, seed: number, pricePrecision = 2, qtyPrecision = 8) {
    this.symbol = symbol;
    this.pricePrecision = pricePrecision;
    this.qtyPrecision = qtyPrecision;
    this.random = seededRandom(seed);
    const mid = 179_725;
    for (let i = 1; i <= 40; i++) {
      this.bids.set(mid - i * 2, this.lots());
      this.asks.set(mid + i * 2, this.lots());
    }
  }

  /** Random changes near the top of the true book. */
  step(count = 1 + Math.floor(this.random() * 3)): void {
    for (let i = 0; i < count; i++) {
      const isBid = this.random() < 0.5;
      const side = isBid ? this.bids : this.asks;
      const best = isBid ? Math.max(...this.bids.keys()) : Math.min(...this.asks.keys());
      const other = isBid ? Math.min(...this.asks.keys()) : Math.max(...this.bids.keys());
      let price = isBid ? best - (Math.floor(this.random() * 30) - 3) : best + (Math.floor(this.random() * 30) - 3);
      if (isBid ? price >= other : price <= other) price = isBid ? other - 1 : other + 1;
      if (side.has(price) && side.size > 15 && this.random() < 0.4) side.delete(price);
      else side.set(price, this.lots());
    }
  }

  /** Top `depth` levels of each side as [ticks, lots], best first. */
  view(depth: number): View {
    const sorted = (side: Side, descending: boolean): Array<[number, number]> => [...side.entries()].sort((a, b) => (descending ? b[0] - a[0] : a[0] - b[0])).slice(0, depth);
    return { bids: sorted(this.bids, true), asks: sorted(this.asks, false) };
  }

  /** The view as numbers, as a client would hold it. */
  numbers(view: View): View {
    const convert = (levels: Array<[number, number]>): Array<[number, number]> => levels.map(([p, q]) => [Number(this.price(p)), Number(this.qty(q))]);
    return { bids: convert(view.bids), asks: convert(view.asks) };
  }

  price(ticks: number): string {
    return formatFixed(ticks, this.pricePrecision);
  }

  qty(lots: number): string {
    return formatFixed(lots, this.qtyPrecision);
  }

  /** Kraken's CRC-32 over the top 10 of a view, from the wire text (docs/protocols/kraken.md §7). */
  checksum(view: View): number {
    const part = (text: string): string => text.replace('.', '').replace(/^0+/, '');
    let text = '';
    for (const [p, q] of view.asks.slice(0, 10)) text += part(this.price(p)) + part(this.qty(q));
    for (const [p, q] of view.bids.slice(0, 10)) text += part(this.price(p)) + part(this.qty(q));
    return crc32(text);
  }

  nextRandom(): number {
    return this.random();
  }

  private lots(): number {
    return 1 + Math.floor(this.random() * 20_000_000_000);
  }
}

interface BookSubscription {
  depth: number;
  /** What this client was last sent (its view of the book). */
  sent: View;
}

export class FakeKrakenConnection {
  readonly socket: WebSocket;
  readonly index: number;
  /** Requests received, parsed, in order. */
  readonly received: Array<Record<string, unknown>> = [];
  readonly books = new Map<string, BookSubscription>();
  readonly channels = new Map<string, Set<string>>();
  lastSentAt = 0;
  lastReceivedAt = 0;
  closedBy: string | null = null;
  timers: NodeJS.Timeout[] = [];

  constructor(socket: WebSocket, index: number) {
    this.socket = socket;
    this.index = index;
  }

  get open(): boolean {
    return this.socket.readyState === this.socket.OPEN;
  }
}

const DEPTHS = [10, 25, 100, 500, 1000];
const INTERVALS = [1, 5, 15, 30, 60, 240, 1440, 10080, 21600];

export class FakeKraken {
  readonly http: http.Server;
  readonly wss: WebSocketServer;
  readonly pairs = new Map<string, FakePair>();
  readonly connections: FakeKrakenConnection[] = [];
  /** `${symbol}@${timestamp ms}` → the true top 20 after the book message with that timestamp. */
  readonly bookHistory = new Map<string, View>();
  stalled = false;
  /** Drops on a client frame, rewritten outgoing frames (test/fakes/fault-hooks.ts). */
  readonly faults = new FaultHooks();
  /** The time of the last book message, 1 ms apart, so each message's timestamp names its true book. */
  private bookClock = Date.now();
  private readonly options: FakeKrakenOptions;
  private readonly bookFaults = new Map<string, 'checksum' | 'lost' | 'level'>();
  private seed = 11;

  private constructor(options: FakeKrakenOptions) {
    this.options = options;
    this.http = http.createServer((_req, res) => {
      res.writeHead(404);
      res.end();
    });
    this.wss = new WebSocketServer({ noServer: true });
    this.http.on('upgrade', (req, socket, head) => {
      if (!(req.url ?? '').startsWith('/v2')) {
        socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
    });
  }

  static async start(options: FakeKrakenOptions = {}): Promise<FakeKraken> {
    const fake = new FakeKraken(options);
    await new Promise<void>((resolve) => fake.http.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.http.address() as AddressInfo).port}/v2`;
  }

  get openConnections(): FakeKrakenConnection[] {
    return this.connections.filter((connection) => connection.open);
  }

  list(symbol: string, pricePrecision?: number, qtyPrecision?: number): FakePair {
    const pair = new FakePair(symbol, this.seed++, pricePrecision, qtyPrecision);
    this.pairs.set(symbol, pair);
    return pair;
  }

  pair(symbol: string): FakePair {
    const pair = this.pairs.get(symbol);
    if (!pair) throw new Error(`fake kraken: ${symbol} is not listed`);
    return pair;
  }

  /** Moves the true book and sends each book subscriber what changed in its range. */
  bookStep(symbol: string, count?: number): void {
    const pair = this.pair(symbol);
    pair.step(count);
    const fault = this.bookFaults.get(symbol);
    this.bookFaults.delete(symbol);
    for (const connection of this.openConnections) {
      const sub = connection.books.get(symbol);
      if (!sub) continue;
      const next = pair.view(sub.depth);
      const changes = diffViews(sub.sent, next, pair);
      sub.sent = next;
      if (fault === 'lost') continue; // Kraken thinks it was sent; the client never sees it
      if (changes.bids.length + changes.asks.length === 0) continue;
      let checksum = pair.checksum(next);
      if (fault === 'checksum') checksum = (checksum ^ 0x5a5a) >>> 0;
      if (fault === 'level') {
        const victim = changes.bids[0] ?? changes.asks[0];
        if (victim) victim[1] = victim[1] + 1;
      }
      const ts = this.stamp(symbol, pair.numbers(pair.view(20)));
      this.send(connection, `{"channel":"book","type":"update","data":[{"symbol":"${symbol}","bids":${levelsJson(pair, changes.bids)},"asks":${levelsJson(pair, changes.asks)},"checksum":${checksum},"timestamp":"${iso(ts)}"}]}`);
    }
  }

  /** The next book update of the symbol carries a wrong checksum. */
  corruptNextChecksum(symbol: string): void {
    this.bookFaults.set(symbol, 'checksum');
  }

  /** The next book update of the symbol is lost on the way: the client's book falls behind. */
  loseNextUpdate(symbol: string): void {
    this.bookFaults.set(symbol, 'lost');
  }

  /** The next book update carries one wrong quantity, with the true book's checksum. */
  corruptNextLevel(symbol: string): void {
    this.bookFaults.set(symbol, 'level');
  }

  /** Publishes a trade (taker side) and the ticker it moves. */
  trade(symbol: string): number {
    const pair = this.pair(symbol);
    pair.tradeId += 1;
    const buy = pair.nextRandom() < 0.5;
    const view = pair.view(1);
    const [bid, bidQty] = view.bids[0] as [number, number];
    const [ask, askQty] = view.asks[0] as [number, number];
    const price = pair.price(buy ? ask : bid);
    const now = iso(Date.now());
    for (const connection of this.openConnections) {
      if (connection.channels.get('trade')?.has(symbol)) {
        this.send(connection, `{"channel":"trade","type":"update","data":[{"symbol":"${symbol}","side":"${buy ? 'buy' : 'sell'}","price":${price},"qty":${pair.qty(44_780)},"ord_type":"limit","trade_id":${pair.tradeId},"timestamp":"${now}"}]}`);
      }
      if (connection.channels.get('ticker')?.has(symbol)) {
        this.send(connection, `{"channel":"ticker","type":"update","data":[{"symbol":"${symbol}","bid":${pair.price(bid)},"bid_qty":${pair.qty(bidQty)},"ask":${pair.price(ask)},"ask_qty":${pair.qty(askQty)},"last":${price},"volume":3156.84782110,"vwap":84174.6,"low":1.0,"high":2.0,"change":-429.3,"change_pct":-0.51,"timestamp":"${now}"}]}`);
      }
    }
    return pair.tradeId;
  }

  /** Publishes an ohlc update for the bucket starting at `beginMs`. */
  ohlc(symbol: string, minutes: number, beginMs: number, close: string): void {
    for (const connection of this.openConnections) {
      if (!connection.channels.get(`ohlc:${minutes}`)?.has(symbol)) continue;
      this.send(connection, `{"channel":"ohlc","type":"update","timestamp":"${iso(Date.now())}","data":[{"symbol":"${symbol}","open":${close},"high":${close},"low":${close},"close":${close},"trades":3,"volume":0.21155628,"vwap":${close},"interval_begin":"${new Date(beginMs).toISOString().replace('Z', '000000Z')}","interval":${minutes},"timestamp":"${iso(beginMs + minutes * 60_000)}"}]}`);
    }
  }

  broadcast(text: string): void {
    for (const connection of this.openConnections) this.send(connection, text);
  }

  dropAll(): void {
    for (const connection of this.openConnections) {
      connection.closedBy = 'drop';
      connection.socket.terminate();
    }
  }

  async close(): Promise<void> {
    for (const connection of this.connections) this.clearTimers(connection);
    for (const client of this.wss.clients) client.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  private accept(ws: WebSocket): void {
    const connection = new FakeKrakenConnection(ws, this.connections.length);
    this.connections.push(connection);
    this.faults.accepted(ws);
    connection.lastReceivedAt = Date.now();
    ws.on('message', (data) => {
      if (!this.faults.incoming(ws, data.toString())) this.onMessage(connection, data.toString());
    });
    ws.on('close', () => this.clearTimers(connection));
    ws.on('error', () => undefined);
    if (this.options.silent) return;
    this.send(connection, '{"channel":"status","type":"update","data":[{"version":"2.0.10","system":"online","api_version":"v2","connection_id":18125794168470749634,"upcoming_maintenance":[],"emergency":[]}]}');
    const heartbeatMs = this.options.heartbeatMs ?? 1_000;
    connection.timers.push(
      setInterval(() => {
        if (Date.now() - connection.lastSentAt >= heartbeatMs) this.send(connection, '{"channel":"heartbeat"}');
        const idle = connection.channels.size === 0 && connection.books.size === 0 && Date.now() - connection.lastReceivedAt > (this.options.idleCloseMs ?? 60_000);
        if (idle && connection.open) {
          connection.closedBy = 'idle';
          ws.close(1000, 'idle');
        }
      }, heartbeatMs),
    );
  }

  private onMessage(connection: FakeKrakenConnection, text: string): void {
    connection.lastReceivedAt = Date.now();
    let request: { method?: unknown; params?: Record<string, unknown>; req_id?: unknown };
    try {
      request = JSON.parse(text) as typeof request;
    } catch {
      this.send(connection, `{"error":"Malformed request","success":false,"time_in":"${iso(Date.now())}","time_out":"${iso(Date.now())}"}`);
      return;
    }
    connection.received.push(request as Record<string, unknown>);
    if (this.options.silent) return;
    const timeIn = iso(Date.now());
    const reqId = typeof request.req_id === 'number' ? `,"req_id":${request.req_id}` : '';
    if (request.method === 'ping') {
      this.send(connection, `{"method":"pong"${reqId},"time_in":"${timeIn}","time_out":"${iso(Date.now())}"}`);
      return;
    }
    const method = request.method;
    const params = request.params ?? {};
    const channel = params.channel;
    if ((method !== 'subscribe' && method !== 'unsubscribe') || typeof channel !== 'string') {
      this.send(connection, `{"error":"Method not supported","method":${JSON.stringify(method ?? null)},"success":false,"time_in":"${timeIn}","time_out":"${iso(Date.now())}"${reqId}}`);
      return;
    }
    const symbols = Array.isArray(params.symbol) ? params.symbol.filter((s): s is string => typeof s === 'string') : [];
    const depth = channel === 'book' ? Number(params.depth ?? 10) : undefined;
    const interval = channel === 'ohlc' ? Number(params.interval ?? 1) : undefined;
    for (const symbol of symbols) {
      const refuse = (error: string): void => this.send(connection, `{"error":${JSON.stringify(error)},"method":"${method}","success":false,"symbol":"${symbol}","time_in":"${timeIn}","time_out":"${iso(Date.now())}"${reqId}}`);
      const pair = this.pairs.get(symbol);
      if (!pair) {
        refuse(`Currency pair not supported ${symbol}`);
        continue;
      }
      if (depth !== undefined && !DEPTHS.includes(depth)) {
        refuse(`Invalid depth ${depth}`);
        continue;
      }
      if (interval !== undefined && !INTERVALS.includes(interval)) {
        refuse(`Invalid interval ${interval}`);
        continue;
      }
      const key = channel === 'ohlc' ? `ohlc:${interval}` : channel;
      const extra = channel === 'book' ? `,"depth":${depth},"snapshot":true` : channel === 'ohlc' ? `,"interval":${interval},"snapshot":true` : channel === 'trade' ? ',"snapshot":false' : ',"event_trigger":"bbo","snapshot":true';
      const ack = `{"method":"${method}","result":{"channel":"${channel}"${extra},"symbol":"${symbol}"},"success":true,"time_in":"${timeIn}","time_out":"${iso(Date.now())}"${reqId}}`;
      if (method === 'unsubscribe') {
        if (channel === 'book') connection.books.delete(symbol);
        else connection.channels.get(key)?.delete(symbol);
        this.send(connection, ack);
        continue;
      }
      this.send(connection, ack);
      if (channel === 'book') {
        const view = pair.view(depth as number);
        connection.books.set(symbol, { depth: depth as number, sent: view });
        const ts = this.stamp(symbol, pair.numbers(pair.view(20)));
        this.send(connection, `{"channel":"book","type":"snapshot","data":[{"symbol":"${symbol}","bids":${levelsJson(pair, view.bids)},"asks":${levelsJson(pair, view.asks)},"checksum":${pair.checksum(view)},"timestamp":"${iso(ts)}"}]}`);
      } else {
        const set = connection.channels.get(key) ?? new Set<string>();
        set.add(symbol);
        connection.channels.set(key, set);
      }
    }
  }

  /** A timestamp unique per book message, and the true book at that moment. */
  private stamp(symbol: string, truth: View): number {
    this.bookClock += 1;
    this.bookHistory.set(`${symbol}@${this.bookClock}`, truth);
    return this.bookClock;
  }

  private send(connection: FakeKrakenConnection, text: string): void {
    if (this.stalled || !connection.open) return;
    connection.lastSentAt = Date.now();
    sendThrough(this.faults, connection.socket, text);
  }

  private clearTimers(connection: FakeKrakenConnection): void {
    for (const timer of connection.timers) clearInterval(timer);
    connection.timers = [];
  }
}

/** Levels of `next` that differ from `sent`, plus deletes (qty 0) for levels gone from the book; levels merely pushed out of range are not sent. */
function diffViews(sent: View, next: View, pair: FakePair): View {
  const side = (before: Array<[number, number]>, after: Array<[number, number]>, book: Side): Array<[number, number]> => {
    const afterMap = new Map(after);
    const beforeMap = new Map(before);
    const out: Array<[number, number]> = [];
    for (const [price] of before) if (!afterMap.has(price) && !book.has(price)) out.push([price, 0]);
    for (const [price, qty] of after) if (beforeMap.get(price) !== qty) out.push([price, qty]);
    return out;
  };
  return { bids: side(sent.bids, next.bids, pair.bids), asks: side(sent.asks, next.asks, pair.asks) };
}

function levelsJson(pair: FakePair, levels: Array<[number, number]>): string {
  return `[${levels.map(([p, q]) => `{"price":${pair.price(p)},"qty":${pair.qty(q)}}`).join(',')}]`;
}

/** RFC 3339 with microseconds, like Kraken's market-data times. */
function iso(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '000Z');
}
