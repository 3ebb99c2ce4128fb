/**
 * market-signal: trades, quotes or closed candles → a momentum signal (buy, sell, flat) per
 * symbol, sent only when the side changes, after the warm-up, with hysteresis and a cooldown.
 * The logic is MomentumTracker (src/analytics).
 *
 * Msgs: the msg whose event closed the deciding bar is forwarded with msg.payload = the signal
 * and msg.event = that event.
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { MomentumTracker, RepeatGate, parseSignalConfig, readAnalyticsInput, type SignalEvent } from '../../src';

type SignalNodeDef = NodeDef & Record<string, unknown>;

const STATUS_EVERY_MS = 1_000;

export = function (RED: NodeAPI): void {
  function MarketSignalNode(this: Node, config: SignalNodeDef): void {
    RED.nodes.createNode(this, config);
    const node = this;
    const repeats = new RepeatGate();
    let tracker: MomentumTracker | null = null;
    let timer: NodeJS.Timeout | null = null;
    let last: SignalEvent | null = null;
    let lastSymbol = '';
    let shown = '';

    const showStatus = (): void => {
      if (!tracker) return;
      const bars = lastSymbol ? tracker.barsOf(lastSymbol) : 0;
      const key = last ? `${last.symbol}|${last.side}` : `${bars}`;
      if (key === shown) return;
      shown = key;
      if (last) node.status({ fill: last.side === 'flat' ? 'grey' : 'green', shape: 'dot', text: RED._('market-signal.status.side', { symbol: last.symbol, side: last.side }) });
      else if (lastSymbol) node.status({ fill: 'grey', shape: 'ring', text: RED._('market-signal.status.warmup', { bars: Math.min(bars, tracker.warmup), warmup: tracker.warmup }) });
      else node.status({ fill: 'grey', shape: 'ring', text: RED._('market-signal.status.waiting') });
    };

    try {
      tracker = new MomentumTracker(parseSignalConfig(config));
      timer = setInterval(showStatus, STATUS_EVERY_MS);
      showStatus();
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      node.status({ fill: 'red', shape: 'dot', text: RED._('market-signal.status.configError') });
      node.error(message, { topic: 'config', payload: { type: 'status', state: 'error', detail: message } });
    }

    node.on('input', (msg, send, done) => {
      if (!tracker) {
        done(new Error(RED._('market-signal.errors.notRunning')));
        return;
      }
      const now = Date.now();
      const input = readAnalyticsInput(msg.payload, now);
      if (input.kind === 'event') {
        // Events of other kinds than the chosen source pass silently: one stream may carry several.
        if (tracker.accepts(input.event)) lastSymbol = input.event.symbol;
        const signal = tracker.onEvent(input.event);
        if (signal) {
          last = signal;
          send(Object.assign(msg, { topic: signal.symbol, payload: signal, event: input.event }));
        }
        done();
      } else if (input.kind === 'invalid' && repeats.allow(input.reason, now)) {
        done(new Error(input.reason));
      } else {
        done();
      }
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      if (timer) clearInterval(timer);
      timer = null;
      tracker = null;
      node.status({});
      done();
    });
  }

  RED.nodes.registerType('market-signal', MarketSignalNode);
};
