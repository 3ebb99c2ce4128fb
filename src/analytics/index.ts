/** Analytics core (no Node-RED): options-flow classification, order-book metrics, momentum signals. */
export * from './option-flow';
export * from './flow-classifier';
export * from './flow-stats';
export * from './book-metrics';
export * from './momentum';
export * from './threshold-alert';
export * from './stream-clock';
export * from './config';
export * from './input';
