/** Preloaded (`node --require`) into each provider benchmark: no connection but loopback. */
import { guardNetwork } from './harness';

guardNetwork();
