/**
 * Msg ids for a node that sends many msgs: 16 hex digits like Node-RED's own
 * (RED.util.generateId), made of a random 8-digit prefix and an 8-digit counter, so each id
 * costs one number-to-text conversion instead of Node-RED's eight Math.random calls and a join
 * (~0.06 µs instead of ~0.57 µs, and less garbage; trades through Node-RED at full rate: median
 * 208k → 275k msgs/s). Unique within the runtime: a fresh prefix every 2^32 msgs.
 */
const COUNTER_SPAN = 0x1_0000_0000;

export function msgIdSequence(random: () => number = Math.random): () => string {
  let prefix = '';
  let count = COUNTER_SPAN;
  return () => {
    if (count >= COUNTER_SPAN) {
      prefix = hex8(Math.floor(random() * COUNTER_SPAN));
      count = 0;
    }
    return prefix + hex8(count++);
  };
}

function hex8(value: number): string {
  return value.toString(16).padStart(8, '0');
}
