/**
 * market-alert: any of our events (flow prints, book alerts, signals, stream status) → a msg
 * ready for an e-mail, Telegram or MQTT sender, with dedupe within a cooldown, a rate cap, quiet
 * hours and summaries instead of a flood. The logic is AlertGate and describeAlert (src/alerts).
 *
 * Msgs: an alert goes out in its input msg; a summary is a new msg (its input msgs were done
 * when they were held).
 */
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { AlertGate, describeAlert, escapeHtml, parseQuietHours, type AlertFacts, type Clock, type GateOutput } from '../../src';
import { showConfigError } from '../shared/config-error';

type AlertNodeDef = NodeDef & Record<string, unknown>;

const STATUS_EVERY_MS = 1_000;

const wallClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  setInterval: (callback, ms) => setInterval(callback, ms),
  clearInterval: (handle) => clearInterval(handle as NodeJS.Timeout),
};

function numberSetting(config: AlertNodeDef, name: string, fallback: number): number {
  const raw = config[name];
  if (raw === undefined || raw === null || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a number ≥ 0, not "${String(raw)}"`);
  return value;
}

export = function (RED: NodeAPI): void {
  function MarketAlertNode(this: Node, config: AlertNodeDef): void {
    RED.nodes.createNode(this, config);
    const node = this;
    let gate: AlertGate<NodeMessage> | null = null;
    let timer: NodeJS.Timeout | null = null;
    let sent = 0;
    let summaries = 0;
    let shown = '';
    const keyPath = typeof config['key'] === 'string' ? config['key'].trim() : '';
    const chatId = typeof config['chatId'] === 'string' ? config['chatId'].trim() : '';

    const showStatus = (): void => {
      if (!gate) return;
      const open = gate.openKeys;
      const text = sent === 0 && open === 0 ? RED._('market-alert.status.waiting') : RED._('market-alert.status.counts', { sent, summaries, open });
      if (text === shown) return;
      shown = text;
      node.status({ fill: open > 0 ? 'yellow' : sent > 0 ? 'green' : 'grey', shape: sent > 0 || open > 0 ? 'dot' : 'ring', text });
    };

    const keyOf = (msg: NodeMessage, facts: AlertFacts): AlertFacts => {
      if (!keyPath) return facts;
      const value = RED.util.getMessageProperty(msg, keyPath) as unknown;
      return value === undefined || value === null ? facts : { ...facts, key: `${keyPath}=${String(value)}` };
    };

    const dress = (out: GateOutput<NodeMessage>): NodeMessage => {
      const { facts, summary } = out;
      const topic = summary ? summary.text : facts.subject;
      const text = summary ? summary.text : facts.text;
      const html = summary ? `<b>${escapeHtml(summary.text)}</b>` : facts.html;
      const telegram: Record<string, unknown> = { text: html, parse_mode: 'HTML' };
      if (chatId) telegram['chat_id'] = chatId;
      const alert = { key: facts.key, summary: summary ? { count: summary.count, sinceTs: summary.sinceTs } : null, event: out.item.payload };
      // A summary is new: its input msgs were done when they were held.
      const msg = summary ? ({ _msgid: RED.util.generateId() } as NodeMessage) : out.item;
      return Object.assign(msg, { topic, payload: text, html, telegram, alert });
    };

    try {
      const quietHours = parseQuietHours(typeof config['quietHours'] === 'string' ? config['quietHours'] : '', typeof config['timeZone'] === 'string' && config['timeZone'].trim() ? config['timeZone'].trim() : 'UTC');
      const settings = { cooldownS: numberSetting(config, 'cooldownS', 60), maxPerMin: numberSetting(config, 'maxPerMin', 0), quietHours };
      gate = new AlertGate<NodeMessage>(settings, wallClock, (out) => {
        if (out.summary) summaries += 1;
        else sent += 1;
        node.send(dress(out));
      });
      timer = setInterval(showStatus, STATUS_EVERY_MS);
      showStatus();
    } catch (err) {
      showConfigError(RED, node, err);
    }

    node.on('input', (msg, _send, done) => {
      if (!gate) {
        done(new Error(RED._('market-alert.errors.notRunning')));
        return;
      }
      try {
        const facts = describeAlert(msg.payload);
        // Quotes, metrics, health and routine states pass silently: one wire may carry everything.
        if (facts) gate.offer(keyOf(msg, facts), msg);
        done();
      } catch (err) {
        node.error(err, msg);
        done();
      }
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      if (timer) clearInterval(timer);
      timer = null;
      gate?.dispose();
      gate = null;
      node.status({});
      done();
    });
  }

  RED.nodes.registerType('market-alert', MarketAlertNode);
};
