/**
 * A local Coinbase Advanced Trade market-data server, written from
 * docs/protocols/coinbase.md:
 *
 * - one channel per subscribe message, `product_ids` array, optional `jwt` (verified when the
 *   fake is given the key's public half); a subscribe is due within 5 s of connecting;
 * - answers: a cumulative `subscriptions` message per subscribe/unsubscribe; `{"type":"error",
 *   "message":"authentication failure"}` for an unknown channel or a bad JWT, `{"type":"error",
 *   "message":"failure to subscribe"}` for a message naming an unknown product (the whole message
 *   is ignored — an assumption, Coinbase does not document it);
 * - the envelope {channel, client_id, timestamp (ns), sequence_num, events}, one `sequence_num`
 *   counter per connection across channels, from 0; prices and sizes as decimal strings;
 * - level2 → `l2_data` snapshot (whole book, unsorted, bids and offers interleaved) then updates;
 *   market_trades, ticker (with best bid/ask), candles (5-minute buckets, start in seconds),
 *   heartbeats every second with an integer counter;
 * - -USDC subscriptions answered with the -USD product (documented aliasing);
 * - a true book per product with its history by (connection, sequence_num);
 * - faults: skipped sequence numbers (a lost book update or heartbeat), dropped sockets, a stall,
 *   and any frame as is through `broadcast` (garbage, error frames, a repeated old message).
 */
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { seededRandom, formatFixed } from '../binance/market';
import { FaultHooks, sendThrough } from '../fault-hooks';

export interface FakeCoinbaseOptions {
  /** Close a connection that has not subscribed within this long (5 s at Coinbase). */
  subscribeDeadlineMs?: number;
  heartbeatMs?: number;
  /** Verify JWTs with this public key; without it any `jwt` is accepted. */
  jwtPublicKey?: crypto.KeyObject;
  /** Expected `kid`/`sub` of the JWT. */
  jwtKeyName?: string;
  seed?: number;
  /** Record client messages but answer nothing: the test sends recorded frames itself. */
  silent?: boolean;
}

type Side = Map<number, number>;

export class FakeProduct {
  readonly id: string;
  readonly bids: Side = new Map();
  readonly offers: Side = new Map();
  tradeId = 892_262_000;
  readonly priceDecimals = 2;
  readonly sizeDecimals = 8;
  private readonly random: () => number;

  constructor(id: string, seed: number) {
    this.id = id;
    this.random = seededRandom(seed);
    const mid = 11_544_500;
    for (let i = 1; i <= 30; i++) {
      this.bids.set(mid - i * 3, this.lots());
      this.offers.set(mid + i * 3, this.lots());
    }
  }

  bestBid(): number {
    return Math.max(...this.bids.keys());
  }

  bestOffer(): number {
    return Math.min(...this.offers.keys());
  }

  /** Random changes near the top; returns them as l2 updates (new absolute quantity, "0" = removed). */
  step(count = 1 + Math.floor(this.random() * 3)): Array<{ side: 'bid' | 'offer'; price: number; lots: number }> {
    const changes: Array<{ side: 'bid' | 'offer'; price: number; lots: number }> = [];
    for (let i = 0; i < count; i++) {
      const isBid = this.random() < 0.5;
      const side = isBid ? this.bids : this.offers;
      const best = isBid ? this.bestBid() : this.bestOffer();
      const other = isBid ? this.bestOffer() : this.bestBid();
      let price = isBid ? best - (Math.floor(this.random() * 20) - 3) : best + (Math.floor(this.random() * 20) - 3);
      if (isBid ? price >= other : price <= other) price = isBid ? other - 1 : other + 1;
      const lots = side.has(price) && side.size > 5 && this.random() < 0.35 ? 0 : this.lots();
      if (lots === 0) side.delete(price);
      else side.set(price, lots);
      changes.push({ side: isBid ? 'bid' : 'offer', price, lots });
    }
    return changes;
  }

  price(ticks: number): string {
    // Coinbase writes no fixed number of decimals ("79944", "79944.1"): strip trailing zeros.
    return trimZeros(formatFixed(ticks, this.priceDecimals));
  }

  size(lots: number): string {
    return lots === 0 ? '0' : trimZeros(formatFixed(lots, this.sizeDecimals));
  }

  topNumbers(depth: number): { bids: Array<[number, number]>; asks: Array<[number, number]> } {
    const sorted = (side: Side, descending: boolean): Array<[number, number]> =>
      [...side.entries()].sort((a, b) => (descending ? b[0] - a[0] : a[0] - b[0])).slice(0, depth).map(([p, l]) => [Number(this.price(p)), Number(this.size(l))]);
    return { bids: sorted(this.bids, true), asks: sorted(this.offers, false) };
  }

  nextRandom(): number {
    return this.random();
  }

  private lots(): number {
    return 1 + Math.floor(this.random() * 300_000_000);
  }
}

export class FakeCoinbaseConnection {
  readonly socket: WebSocket;
  readonly index: number;
  /** channel → product ids as subscribed (before aliasing). */
  readonly channels = new Map<string, Set<string>>();
  /** Client frames, parsed, in order. */
  readonly received: Array<Record<string, unknown>> = [];
  seq = 0;
  heartbeatCounter = 1000;
  heartbeats: NodeJS.Timeout | null = null;
  closedBy: string | null = null;
  timers: NodeJS.Timeout[] = [];

  constructor(socket: WebSocket, index: number) {
    this.socket = socket;
    this.index = index;
  }

  get open(): boolean {
    return this.socket.readyState === this.socket.OPEN;
  }

  subscribed(channel: string, product: string): boolean {
    const products = this.channels.get(channel);
    return !!products && (products.has(product) || products.has(`${product}C`));
  }
}

const KNOWN_CHANNELS = new Set(['heartbeats', 'candles', 'status', 'ticker', 'ticker_batch', 'level2', 'market_trades', 'user', 'futures_balance_summary']);

export class FakeCoinbase {
  readonly http: http.Server;
  readonly wss: WebSocketServer;
  readonly products = new Map<string, FakeProduct>();
  readonly connections: FakeCoinbaseConnection[] = [];
  /** `${connection}:${sequence_num}` → true top 20 of the product the l2_data message was about. */
  readonly bookHistory = new Map<string, { bids: Array<[number, number]>; asks: Array<[number, number]> }>();
  stalled = false;
  /** Drops on a client frame, rewritten outgoing frames (test/fakes/fault-hooks.ts). */
  readonly faults = new FaultHooks();
  private readonly options: FakeCoinbaseOptions;
  private seedCounter: number;

  private constructor(options: FakeCoinbaseOptions) {
    this.options = options;
    this.seedCounter = options.seed ?? 7;
    this.http = http.createServer((_req, res) => {
      res.writeHead(404);
      res.end();
    });
    this.wss = new WebSocketServer({ server: this.http });
    this.wss.on('connection', (ws) => this.accept(ws));
  }

  static async start(options: FakeCoinbaseOptions = {}): Promise<FakeCoinbase> {
    const fake = new FakeCoinbase(options);
    await new Promise<void>((resolve) => fake.http.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.http.address() as AddressInfo).port}`;
  }

  get openConnections(): FakeCoinbaseConnection[] {
    return this.connections.filter((connection) => connection.open);
  }

  list(id: string): FakeProduct {
    const product = new FakeProduct(id, this.seedCounter++);
    this.products.set(id, product);
    return product;
  }

  product(id: string): FakeProduct {
    const product = this.products.get(id);
    if (!product) throw new Error(`fake coinbase: ${id} is not listed`);
    return product;
  }

  /** Moves the book and sends the l2_data update to level2 subscribers. */
  bookStep(id: string, count?: number): void {
    const product = this.product(id);
    const changes = product.step(count);
    const updates = changes.map((c) => `{"side":"${c.side}","event_time":"${this.iso()}","price_level":"${product.price(c.price)}","new_quantity":"${product.size(c.lots)}"}`).join(',');
    for (const connection of this.openConnections) {
      if (!connection.subscribed('level2', id)) continue;
      this.envelope(connection, 'l2_data', `{"type":"update","product_id":"${id}","updates":[${updates}]}`, product);
    }
  }

  /** Publishes one trade on market_trades, and the ticker it moves. */
  trade(id: string): number {
    const product = this.product(id);
    product.tradeId += 1;
    const buy = product.nextRandom() < 0.5;
    const price = product.price(buy ? product.bestOffer() : product.bestBid());
    const trade = `{"trade_id":"${product.tradeId}","product_id":"${id}","price":"${price}","size":"0.00015604","time":"${this.iso()}","side":"${buy ? 'BUY' : 'SELL'}"}`;
    for (const connection of this.openConnections) {
      if (connection.subscribed('market_trades', id)) this.envelope(connection, 'market_trades', `{"type":"update","trades":[${trade}]}`);
      if (connection.subscribed('ticker', id)) this.envelope(connection, 'ticker', `{"type":"update","tickers":[${this.tickerJson(product, price)}]}`);
    }
    return product.tradeId;
  }

  /** Publishes a candles update for the 5-minute bucket starting at `startSeconds`. */
  candle(id: string, startSeconds: number, close: string): void {
    for (const connection of this.openConnections) {
      if (!connection.subscribed('candles', id)) continue;
      this.envelope(connection, 'candles', `{"type":"update","candles":[{"start":"${startSeconds}","high":"${close}","low":"${close}","open":"${close}","close":"${close}","volume":"0.5","product_id":"${id}"}]}`);
    }
  }

  /** Moves the book but skips sending the update: the connection's sequence_num jumps. */
  skipBookUpdate(id: string): void {
    const product = this.product(id);
    product.step();
    for (const connection of this.openConnections) if (connection.subscribed('level2', id)) connection.seq += 1;
  }

  /** Skips a sequence number on every connection without moving anything (a lost heartbeat, say). */
  skipSequence(): void {
    for (const connection of this.openConnections) connection.seq += 1;
  }

  /** Sends a frame as is to every open connection. */
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
    const connection = new FakeCoinbaseConnection(ws, this.connections.length);
    this.connections.push(connection);
    this.faults.accepted(ws);
    connection.timers.push(
      setTimeout(() => {
        if (connection.channels.size === 0 && connection.open) {
          connection.closedBy = 'no subscribe within 5 s';
          ws.close(1000, 'no subscription');
        }
      }, this.options.subscribeDeadlineMs ?? 5_000),
    );
    ws.on('message', (data) => {
      if (!this.faults.incoming(ws, data.toString())) this.onMessage(connection, data.toString());
    });
    ws.on('close', () => this.clearTimers(connection));
    ws.on('error', () => undefined);
  }

  private onMessage(connection: FakeCoinbaseConnection, text: string): void {
    let request: { type?: unknown; channel?: unknown; product_ids?: unknown; jwt?: unknown };
    try {
      request = JSON.parse(text) as typeof request;
    } catch {
      this.send(connection, '{"type":"error","message":"failure to parse message"}');
      return;
    }
    connection.received.push(request as Record<string, unknown>);
    if (this.options.silent) return;
    const channel = request.channel;
    if ((request.type !== 'subscribe' && request.type !== 'unsubscribe') || typeof channel !== 'string' || !KNOWN_CHANNELS.has(channel)) {
      this.send(connection, '{"type":"error","message":"authentication failure"}');
      return;
    }
    if (request.jwt !== undefined && !this.jwtValid(request.jwt)) {
      this.send(connection, '{"type":"error","message":"authentication failure"}');
      return;
    }
    const products = Array.isArray(request.product_ids) ? request.product_ids.filter((p): p is string => typeof p === 'string') : [];
    if (request.type === 'unsubscribe') {
      const set = connection.channels.get(channel);
      if (set) for (const product of products) set.delete(product);
      if (set && (products.length === 0 || set.size === 0)) connection.channels.delete(channel);
      this.ack(connection);
      return;
    }
    if (products.some((product) => !this.resolve(product))) {
      this.send(connection, '{"type":"error","message":"failure to subscribe"}');
      return;
    }
    const set = connection.channels.get(channel) ?? new Set<string>();
    connection.channels.set(channel, set);
    if (channel === 'heartbeats') set.add('heartbeats');
    for (const product of products) set.add(product);
    this.ack(connection);
    if (channel === 'heartbeats' && !connection.heartbeats) {
      connection.heartbeats = setInterval(() => {
        connection.heartbeatCounter += 1;
        this.envelope(connection, 'heartbeats', `{"current_time":"${new Date().toISOString().replace('T', ' ').replace('Z', '')} +0000 UTC m=+1.000000001","heartbeat_counter":${connection.heartbeatCounter}}`);
      }, this.options.heartbeatMs ?? 1_000);
      connection.timers.push(connection.heartbeats);
    }
    for (const id of products) {
      const product = this.resolve(id) as FakeProduct;
      if (channel === 'level2') this.envelope(connection, 'l2_data', `{"type":"snapshot","product_id":"${product.id}","updates":[${this.snapshotUpdates(product)}]}`, product);
      if (channel === 'ticker') this.envelope(connection, 'ticker', `{"type":"snapshot","tickers":[${this.tickerJson(product, product.price(product.bestBid()))}]}`);
      if (channel === 'market_trades') {
        const recent = [2, 1, 0].map((back) => `{"trade_id":"${product.tradeId - back}","product_id":"${product.id}","price":"${product.price(product.bestBid())}","size":"0.001","time":"${this.iso()}","side":"SELL"}`);
        this.envelope(connection, 'market_trades', `{"type":"snapshot","trades":[${recent.join(',')}]}`);
      }
    }
  }

  /** A product id as listed, or its -USD product for a -USDC id (aliasing). */
  private resolve(id: string): FakeProduct | undefined {
    return this.products.get(id) ?? (id.endsWith('-USDC') ? this.products.get(id.slice(0, -1)) : undefined);
  }

  private ack(connection: FakeCoinbaseConnection): void {
    const subscriptions: Record<string, string[]> = {};
    for (const [channel, products] of connection.channels) subscriptions[channel] = [...products];
    this.envelope(connection, 'subscriptions', JSON.stringify({ subscriptions }));
  }

  /** Bids and offers interleaved and unsorted, like the recorded snapshot. */
  private snapshotUpdates(product: FakeProduct): string {
    const levels = [
      ...[...product.bids].map(([p, l]) => ({ side: 'bid', p, l })),
      ...[...product.offers].map(([p, l]) => ({ side: 'offer', p, l })),
    ].sort((a, b) => (a.p * 7919) % 101 - (b.p * 7919) % 101);
    const time = this.iso();
    return levels.map((x) => `{"side":"${x.side}","event_time":"${time}","price_level":"${product.price(x.p)}","new_quantity":"${product.size(x.l)}"}`).join(',');
  }

  private tickerJson(product: FakeProduct, last: string): string {
    const bid = product.bestBid();
    const ask = product.bestOffer();
    return `{"type":"ticker","product_id":"${product.id}","price":"${last}","volume_24_h":"16038.28770938","low_24_h":"1","high_24_h":"2","low_52_w":"1","high_52_w":"2","price_percent_chg_24_h":"-4.15","best_bid":"${product.price(bid)}","best_bid_quantity":"${product.size(product.bids.get(bid) as number)}","best_ask":"${product.price(ask)}","best_ask_quantity":"${product.size(product.offers.get(ask) as number)}"}`;
  }

  private envelope(connection: FakeCoinbaseConnection, channel: string, event: string, bookOf?: FakeProduct): void {
    const seq = connection.seq;
    connection.seq += 1;
    if (bookOf) this.bookHistory.set(`${connection.index}:${seq}`, bookOf.topNumbers(20));
    this.send(connection, `{"channel":"${channel}","client_id":"","timestamp":"${this.iso(true)}","sequence_num":${seq},"events":[${event}]}`);
  }

  private send(connection: FakeCoinbaseConnection, text: string): void {
    if (!this.stalled && connection.open) sendThrough(this.faults, connection.socket, text);
  }

  private jwtValid(token: unknown): boolean {
    const key = this.options.jwtPublicKey;
    if (!key) return typeof token === 'string';
    if (typeof token !== 'string') return false;
    const [header, claims, signature] = token.split('.');
    if (!header || !claims || !signature) return false;
    const head = JSON.parse(Buffer.from(header, 'base64url').toString()) as { alg?: string; kid?: string };
    const body = JSON.parse(Buffer.from(claims, 'base64url').toString()) as { sub?: string; iss?: string; nbf?: number; exp?: number };
    const now = Date.now() / 1000;
    if (body.iss !== 'cdp' || body.sub !== this.options.jwtKeyName || head.kid !== this.options.jwtKeyName) return false;
    if (!(typeof body.nbf === 'number' && typeof body.exp === 'number' && body.nbf <= now + 5 && body.exp > now && body.exp - body.nbf <= 120)) return false;
    const data = Buffer.from(`${header}.${claims}`);
    const sig = Buffer.from(signature, 'base64url');
    return head.alg === 'ES256' ? crypto.verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, sig) : head.alg === 'EdDSA' && crypto.verify(null, data, key, sig);
  }

  /** RFC 3339 with a nanosecond fraction when asked (the envelope's timestamp). */
  private iso(nanos = false): string {
    const text = new Date().toISOString();
    return nanos ? text.replace('Z', '123456Z') : text;
  }

  private clearTimers(connection: FakeCoinbaseConnection): void {
    for (const timer of connection.timers) clearTimeout(timer);
    connection.timers = [];
  }
}

function trimZeros(text: string): string {
  return text.includes('.') ? text.replace(/0+$/, '').replace(/\.$/, '') : text;
}
