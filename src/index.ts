/** Public entry point of the core (no Node-RED): model, session, providers, book. */
export * from './model/events';
export * from './model/errors';
export * from './model/occ';
export * from './model/symbols';
export * from './model/flow';
export * from './model/time';
export { FeedSession, DEFAULT_BOOK_DEPTH, type SessionUser, type SubscriptionRequest, type SessionStats } from './session/feed-session';
export { StreamConsumer, type ConsumerSink, type StatusView } from './session/stream-consumer';
export { parseStreamConfig, parseSubscriptionCommand, type StreamSpec } from './session/stream-config';
export { ResilientSocket, type ResilientSocketOptions } from './session/resilient-socket';
export { Backoff, DEFAULT_BACKOFF, type BackoffPolicy } from './session/backoff';
export { systemClock, type Clock } from './session/clock';
export { OrderBook, BookSide } from './book/order-book';
export { getProvider, describeProviders, registerProvider, isPlannedProvider } from './providers/registry';
export * from './providers/types';
export * from './analytics';
