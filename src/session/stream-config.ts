/**
 * Validation of a stream-in node's settings and of the msgs that change its subscriptions.
 * Every failure is a MarketError('CONFIG') whose message says what to fix.
 */
import { CHANNELS, isChannel, type Channel } from '../model/events';
import { MarketError } from '../model/errors';
import { splitSymbolList } from '../model/symbols';
import { occSymbolProblem } from '../model/occ';
import type { ProviderDefinition } from '../model/provider';

export interface StreamSpec {
  /** Canonical symbols, in the order the user gave them. */
  symbols: string[];
  channels: Channel[];
  interval: string;
  depth: number;
  throttleMs: number;
  /** A subscribed symbol silent longer than this is listed as stale in health msgs; 0 = never. */
  staleAfterMs: number;
}

export interface RawStreamConfig {
  symbols?: unknown;
  channels?: unknown;
  interval?: unknown;
  depth?: unknown;
  throttleMs?: unknown;
  /** Seconds. */
  staleAfter?: unknown;
}

export type SubscriptionAction = 'subscribe' | 'unsubscribe' | 'replace';

export interface SubscriptionCommand {
  action: SubscriptionAction;
  symbols: string[];
  channels: Channel[];
}

export const DEFAULT_INTERVAL = '1m';
export const MAX_DEPTH = 1000;

export function parseStreamConfig(raw: RawStreamConfig, provider: ProviderDefinition): StreamSpec {
  const symbols = parseSymbols(raw.symbols, provider);
  if (symbols.length === 0) {
    throw configError(provider, `no symbols: enter at least one symbol, e.g. ${provider.exampleSymbols || 'AAPL'}`);
  }
  const channels = parseChannels(raw.channels, provider);
  if (channels.length === 0) throw configError(provider, `no channels: tick at least one of ${provider.channels.join(', ')}`);
  const interval = typeof raw.interval === 'string' && raw.interval.trim() ? raw.interval.trim() : DEFAULT_INTERVAL;
  if (channels.includes('candle') && provider.intervals.length > 0 && !provider.intervals.includes(interval)) {
    throw configError(provider, `candle interval "${interval}" is not offered by ${provider.label}; use one of ${provider.intervals.join(', ')}`);
  }
  const depth = parseNumber(raw.depth, 10);
  if (!Number.isInteger(depth) || depth < 1 || depth > MAX_DEPTH) throw configError(provider, `depth must be a whole number from 1 to ${MAX_DEPTH}, got ${String(raw.depth)}`);
  const throttleMs = parseNumber(raw.throttleMs, 0);
  if (!(throttleMs >= 0)) throw configError(provider, `throttle must be 0 (every event) or a positive number of milliseconds, got ${String(raw.throttleMs)}`);
  const staleAfter = parseNumber(raw.staleAfter, 60);
  if (!(staleAfter >= 0)) throw configError(provider, `stale after must be 0 (off) or a positive number of seconds, got ${String(raw.staleAfter)}`);
  return { symbols, channels, interval, depth, throttleMs, staleAfterMs: staleAfter * 1000 };
}

/**
 * Reads `msg.payload` of an input msg: `{action, symbols, channels?}`. Channels default to the
 * node's own.
 */
export function parseSubscriptionCommand(payload: unknown, provider: ProviderDefinition, defaultChannels: readonly Channel[]): SubscriptionCommand {
  if (!payload || typeof payload !== 'object') {
    throw configError(provider, 'msg.payload must be an object like {"action":"subscribe","symbols":["AAPL"]}');
  }
  const body = payload as { action?: unknown; symbols?: unknown; channels?: unknown };
  const action = body.action;
  if (action !== 'subscribe' && action !== 'unsubscribe' && action !== 'replace') {
    throw configError(provider, `msg.payload.action must be "subscribe", "unsubscribe" or "replace", got ${JSON.stringify(action) ?? 'nothing'}`);
  }
  const symbols = parseSymbols(body.symbols, provider);
  if (symbols.length === 0 && action !== 'replace') throw configError(provider, `msg.payload.symbols is empty: give the symbols to ${action}`);
  const channels = body.channels === undefined ? [...defaultChannels] : parseChannels(body.channels, provider);
  if (channels.length === 0) throw configError(provider, 'msg.payload.channels is empty: leave it out to use the node\'s channels');
  return { action, symbols, channels };
}

function parseSymbols(input: unknown, provider: ProviderDefinition): string[] {
  if (input === undefined || input === null) return [];
  if (typeof input !== 'string' && !Array.isArray(input)) throw configError(provider, 'symbols must be text or an array of text');
  const canonical = splitSymbolList(input).map((text) => {
    // A near-OCC typo would pass as provider notation and then give no data: say which part is wrong.
    const problem = occSymbolProblem(text);
    if (problem) throw configError(provider, problem);
    return provider.canonicalSymbol(text);
  });
  return [...new Set(canonical)];
}

function parseChannels(input: unknown, provider: ProviderDefinition): Channel[] {
  const list = typeof input === 'string' ? input.split(/[,\s]+/).filter(Boolean) : Array.isArray(input) ? input : null;
  if (!list) throw configError(provider, `channels must be a list of ${CHANNELS.join(', ')}`);
  const channels: Channel[] = [];
  for (const item of list) {
    if (!isChannel(item)) throw configError(provider, `unknown channel ${JSON.stringify(item)}: use ${CHANNELS.join(', ')}`);
    if (!provider.channels.includes(item)) throw configError(provider, `${provider.label} has no ${item} channel; it offers ${provider.channels.join(', ')}`);
    if (!channels.includes(item)) channels.push(item);
  }
  return channels;
}

function parseNumber(value: unknown, fallback: number): number {
  if (value === undefined || value === null || value === '') return fallback;
  return typeof value === 'number' ? value : Number(value);
}

function configError(provider: ProviderDefinition, message: string): MarketError {
  return new MarketError('CONFIG', message, { provider: provider.id });
}
