/** A logger that writes nothing: the default where no Node-RED log is handed in. */
import type { Logger } from '../model/logger';

export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
