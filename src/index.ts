/**
 * The core's public surface (no Node-RED): the normalized model and the provider contract, the
 * session a provider config node runs, the provider registry and the analytics. Everything else
 * (sockets, book engine, each provider's adapter) is internal and imported by path in tests.
 */
export * from './model/events';
export * from './model/errors';
export { createRedactor, type Redactor } from './model/redact';
export * from './model/occ';
export * from './model/symbols';
export * from './model/flow';
export * from './model/provider';
export type { ConnectionChange } from './model/connection';
export type { Clock, TimerHandle } from './model/clock';
export type { Logger } from './model/logger';
export { FeedSession, DEFAULT_BOOK_DEPTH, type SessionUser, type SubscriptionRequest, type SessionStats } from './session/feed-session';
export { StreamConsumer, type ConsumerSink, type StatusView } from './session/stream-consumer';
export { parseStreamConfig, parseSubscriptionCommand, type StreamSpec } from './session/stream-config';
export { getProvider, describeProviders, registerProvider, isPlannedProvider } from './providers/registry';
export * from './analytics';
export * from './model/recording';
export { parseRecordConfig, type RecordSettings } from './recording/record-config';
export { Recorder, type RecorderOptions, type RecorderStats, type RotateMode } from './recording/recorder';
export * from './alerts';
