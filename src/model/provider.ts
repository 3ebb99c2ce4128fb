/**
 * What a provider is to the rest of the pack. A provider lives in its own folder under
 * src/providers/<id>/ and exports one ProviderDefinition; adding a provider touches its folder,
 * its fake, one line in registry.ts, and the docs.
 */
import type { Channel, MarketEvent, NoticeEvent } from './events';
import type { MarketError } from './errors';
import type { Clock } from './clock';
import type { ConnectionChange } from './connection';
import type { Logger } from './logger';

export const PROVIDER_IDS = [
  'sim',
  'replay',
  'binance',
  'coinbase',
  'kraken',
  'alpaca',
  'finnhub',
  'polygon',
  'tastytrade',
  'dxfeed',
  'schwab',
  'thetadata',
  'ibkr',
] as const;
export type ProviderId = (typeof PROVIDER_IDS)[number];

export const CREDENTIAL_NAMES = ['apiKey', 'apiSecret', 'token', 'clientId', 'clientSecret', 'refreshToken', 'accountId'] as const;
export type CredentialName = (typeof CREDENTIAL_NAMES)[number];
export type Credentials = Partial<Record<CredentialName, string>>;

/** A market-provider config node's settings, as the core sees them. */
export interface ProviderSettings {
  provider: string;
  /** Streaming URL override; '' = the provider's default. */
  endpoint: string;
  /** REST base URL override; '' = the provider's default. */
  restEndpoint: string;
  /** Provider-specific variant (e.g. Alpaca iex/sip); '' = default. */
  feed: string;
  /** Provider-specific extras. */
  options: Record<string, unknown>;
  credentials: Credentials;
}

/**
 * One upstream subscription, shared by every node that asked for the same channel, symbol
 * and interval. Owned by the session; `depth` follows the largest depth any node asked for.
 */
export interface UpstreamSubscription {
  readonly key: string;
  readonly channel: Channel;
  /** Canonical symbol (OCC for options, `ROOT*` for a whole option chain where supported). */
  readonly symbol: string;
  readonly interval?: string;
  depth: number;
}

/** Per-symbol state that is not a connection state: a book losing and regaining sync. */
export interface SymbolStatus {
  symbol: string;
  channel: Channel;
  state: 'resyncing' | 'synced';
  detail: string;
}

/** What the session hands an adapter. */
export interface AdapterContext {
  readonly settings: ProviderSettings;
  readonly clock: Clock;
  readonly log: Logger;
  /** Deliver one normalized event to the nodes subscribed to it. */
  emit(event: MarketEvent): void;
  /** Report a connection-level state change. */
  setState(change: ConnectionChange): void;
  symbolStatus(status: SymbolStatus): void;
  /** Report an error; with `symbol` set it reaches only the nodes subscribed to that symbol. */
  error(error: MarketError): void;
  /** Tell every node something it should act on soon (e.g. a refresh token about to expire). */
  notice(notice: Omit<NoticeEvent, 'type' | 'ts' | 'provider'>): void;
}

export interface ProviderAdapter {
  /** Open the connection(s). Called once, on first use. */
  start(): void;
  /** New upstream subscriptions (each key at most once until unsubscribed). */
  subscribe(subscriptions: readonly UpstreamSubscription[]): void;
  unsubscribe(subscriptions: readonly UpstreamSubscription[]): void;
  /** Close everything: sockets, timers, listeners. */
  stop(): Promise<void>;
  /** Counters for diagnostics and tests (connections opened, subscribe frames sent...). */
  stats?(): Record<string, number>;
}

export interface CredentialField {
  name: CredentialName;
  required: boolean;
  /** Editor label, e.g. "Refresh token". */
  label: string;
}

/** Which editor fields a provider uses; the editor hides the rest. */
export interface ProviderFields {
  endpoint: boolean;
  restEndpoint: boolean;
  /** Choices for `feed`, first = default; absent = no feed field. */
  feed?: readonly string[];
  options: boolean;
}

export interface ProviderInfo {
  id: string;
  label: string;
  status: 'available' | 'planned';
  channels: readonly Channel[];
  /** Candle intervals the provider supports. */
  intervals: readonly string[];
  fields: ProviderFields;
  credentials: readonly CredentialField[];
  defaultEndpoint: string;
  defaultRestEndpoint: string;
  /** Symbol placeholder for the editor. */
  exampleSymbols: string;
  /** Accepts `ROOT*` (every listed contract of an underlying). */
  chainSubscriptions: boolean;
}

export interface ProviderDefinition extends ProviderInfo {
  status: 'available';
  /** The canonical symbol for what a user typed (OCC for options). Throws MarketError('CONFIG') when unusable. */
  canonicalSymbol(text: string): string;
  /** A message saying what is missing in the settings, or null when they are usable. */
  validateSettings(settings: ProviderSettings): string | null;
  create(context: AdapterContext): ProviderAdapter;
}
