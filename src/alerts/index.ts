/** Alerts core (no Node-RED): what an event says as an alert, and the hygiene between events and senders. */
export * from './alert-text';
export * from './alert-gate';
