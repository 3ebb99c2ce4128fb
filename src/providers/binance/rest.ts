/**
 * The two REST calls the stream needs: the depth snapshot a local book starts from, and
 * exchangeInfo to tell an unknown symbol (Binance accepts any well-formed stream name silently)
 * from a quiet one, on the project's HTTP client (no socket pool: a closed adapter leaves no socket).
 */
import { MarketError, redactUrl } from '../../model/errors';
import { HttpFailure, requestJson, type JsonAnswer } from '../../transport/http-json';
import type { WeightBudget } from '../../transport/weight-budget';
import type { BinanceErrorBody } from './decode';
import type { DepthSnapshot } from './book';

const TIMEOUT_MS = 10_000;

/** exchangeInfo weighs 20 whatever it names (docs/protocols/binance.md §4). */
const EXCHANGE_INFO_WEIGHT = 20;

/** A depth snapshot's weight by its limit: 5 up to 100 levels, 25 to 500, 50 to 1000, 250 to 5000 (§7). */
export function depthWeight(limit: number): number {
  return limit <= 100 ? 5 : limit <= 500 ? 25 : limit <= 1000 ? 50 : 250;
}

/** Binance answered with an error body ({"code":-1121,"msg":"Invalid symbol."}). */
export class BinanceRestError extends Error {
  readonly status: number;
  readonly body: BinanceErrorBody;

  constructor(status: number, body: BinanceErrorBody) {
    super(`${body.msg} (code ${body.code}, HTTP ${status})`);
    this.status = status;
    this.body = body;
  }
}

/** `-1121 Invalid symbol.` (binance errors table). */
export const INVALID_SYMBOL = -1121;

export interface SymbolInfo {
  symbol: string;
  status: string;
}

export class BinanceRest {
  private readonly base: string;
  private readonly budget: WeightBudget;
  private aborter = new AbortController();

  constructor(base: string, budget: WeightBudget) {
    this.base = base;
    this.budget = budget;
  }

  depth(symbol: string, limit: number): Promise<DepthSnapshot> {
    return this.get<DepthSnapshot>(`/api/v3/depth?symbol=${encodeURIComponent(symbol)}&limit=${limit}`, depthWeight(limit)).then((body) => {
      if (typeof body.lastUpdateId !== 'number' || !Array.isArray(body.bids) || !Array.isArray(body.asks)) {
        throw new MarketError('PROTOCOL', `Binance: the depth snapshot of ${symbol} has no lastUpdateId/bids/asks`, { provider: 'binance', symbol });
      }
      return body;
    });
  }

  /**
   * What Binance lists of these symbols, in one request of weight 20 whatever their number:
   * `symbol=A`, `symbols=["A","B"]`, or (`symbols` null) the whole list. Binance refuses a
   * `symbols` list with -1121 when any one of them is unknown (docs/protocols/binance.md §4).
   */
  exchangeInfo(symbols: readonly string[] | null): Promise<SymbolInfo[]> {
    const query = symbols === null ? '' : symbols.length === 1 ? `?symbol=${encodeURIComponent(symbols[0] as string)}` : `?symbols=${encodeURIComponent(JSON.stringify(symbols))}`;
    return this.get<{ symbols?: SymbolInfo[] }>(`/api/v3/exchangeInfo${query}`, EXCHANGE_INFO_WEIGHT).then((body) => body.symbols ?? []);
  }

  /** Aborts every request in flight (the adapter is stopping). */
  abortAll(): void {
    this.budget.cancel(new MarketError('NETWORK', 'Binance: stopped', { provider: 'binance' }));
    this.aborter.abort();
    this.aborter = new AbortController();
  }

  private async get<T>(path: string, weight: number): Promise<T> {
    const url = this.base + path;
    await this.budget.take(weight);
    let answer: JsonAnswer;
    try {
      answer = await requestJson(url, { method: 'GET', headers: {} }, { timeoutMs: TIMEOUT_MS, signal: this.aborter.signal });
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      if (err instanceof HttpFailure && err.badUrl) throw new MarketError('CONFIG', `Binance: bad REST endpoint ${redactUrl(url)}: ${reason}`, { provider: 'binance' });
      throw new MarketError('NETWORK', `Binance REST ${redactUrl(url)}: ${reason}`, { provider: 'binance' });
    }
    const { status, body } = answer;
    if (body === undefined) throw new MarketError('PROTOCOL', `Binance REST ${redactUrl(url)} answered HTTP ${status} with a body that is not JSON`, { provider: 'binance' });
    if (status >= 200 && status < 300) return body as T;
    if (isErrorBody(body)) throw new BinanceRestError(status, body);
    throw new MarketError('NETWORK', `Binance REST ${redactUrl(url)} answered HTTP ${status}`, { provider: 'binance' });
  }
}

function isErrorBody(body: unknown): body is BinanceErrorBody {
  return typeof body === 'object' && body !== null && typeof (body as BinanceErrorBody).code === 'number' && typeof (body as BinanceErrorBody).msg === 'string';
}
