/**
 * Where core code writes diagnostics (Node-RED's log in the nodes, nothing in tests by default:
 * `silentLogger` in src/transport/log.ts). Never pass it a credential or a URL that was not redacted.
 */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}
