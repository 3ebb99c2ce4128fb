/**
 * market-provider: the config node that holds a provider's settings and credentials and the one
 * FeedSession (upstream connection) its stream-in nodes share. Users register and deregister
 * like Node-RED's MQTT broker node; the session keeps the users, so the connection opens with the
 * first and closes when a removal leaves none.
 */
import type { NodeAPI, NodeDef } from 'node-red';
import {
  CREDENTIAL_NAMES,
  FeedSession,
  createRedactor,
  MarketError,
  describeProviders,
  getProvider,
  isPlannedProvider,
  type Credentials,
  type ProviderSettings,
} from '../../src';
import type { ProviderConfigNode } from '../shared/provider-node';

interface ProviderNodeDef extends NodeDef {
  provider?: string;
  endpoint?: string;
  restEndpoint?: string;
  feed?: string;
  options?: unknown;
}

export = function (RED: NodeAPI): void {
  function MarketProviderNode(this: ProviderConfigNode, config: ProviderNodeDef): void {
    RED.nodes.createNode(this, config);
    const node = this;
    node.session = null;
    node.configError = null;

    const providerId = typeof config.provider === 'string' ? config.provider.trim() : '';
    try {
      const definition = getProvider(providerId);
      if (!definition) {
        const message = isPlannedProvider(providerId)
          ? RED._('market-provider.errors.planned', { provider: providerId })
          : RED._('market-provider.errors.unknownProvider', { provider: providerId || '(none)' });
        throw new MarketError('CONFIG', message, { provider: providerId });
      }
      const settings: ProviderSettings = {
        provider: providerId,
        endpoint: typeof config.endpoint === 'string' ? config.endpoint.trim() : '',
        restEndpoint: typeof config.restEndpoint === 'string' ? config.restEndpoint.trim() : '',
        feed: typeof config.feed === 'string' ? config.feed.trim() : '',
        options: parseOptions(RED, config.options),
        credentials: pickCredentials(node.credentials),
      };
      const problem = definition.validateSettings(settings);
      if (problem) throw new MarketError('CONFIG', problem, { provider: providerId });
      node.session = new FeedSession(definition, settings, {
        log: {
          debug: (message) => node.debug(message),
          info: (message) => node.log(message),
          warn: (message) => node.warn(message),
          error: (message) => node.error(message),
        },
      });
    } catch (err) {
      // A provider's settings check may quote what it was given: never a credential.
      const redact = createRedactor(pickCredentials(node.credentials));
      node.configError = new MarketError('CONFIG', redact(err instanceof Error ? err.message : String(err)), { provider: providerId });
      node.error(node.configError.message);
    }

    node.register = (user) => {
      if (!node.session) throw node.configError ?? new MarketError('CONFIG', RED._('market-provider.errors.notRunning'));
      node.session.attach(user);
    };

    node.deregister = async (user, removed) => {
      await node.session?.detach(user.id, removed);
    };

    node.on('close', (_removed: boolean, done: () => void) => {
      const session = node.session;
      node.session = null;
      if (!session) {
        done();
        return;
      }
      session.close().then(done, (err: unknown) => {
        node.warn(err instanceof Error ? err.message : String(err));
        done();
      });
    });
  }

  RED.nodes.registerType('market-provider', MarketProviderNode, {
    credentials: Object.fromEntries(CREDENTIAL_NAMES.map((name) => [name, { type: 'password' as const }])),
  });

  // The editor draws the config dialog from this list: which fields and credentials each provider uses.
  RED.httpAdmin.get('/market-stream/providers', RED.auth.needsPermission('market-provider.read'), (_req, res) => {
    res.json(describeProviders());
  });

  // Config nodes have no status dot: the dialog asks the deployed node how it is doing.
  RED.httpAdmin.get('/market-stream/provider-status/:id', RED.auth.needsPermission('market-provider.read'), (req, res) => {
    const node = RED.nodes.getNode(String(req.params.id)) as ProviderConfigNode | null;
    if (!node || node.type !== 'market-provider') {
      res.status(404).json({ error: 'not deployed' });
      return;
    }
    res.json(providerStatus(node, Date.now()));
  });
};

/**
 * What the config dialog shows about a deployed provider node: its connection state and, for
 * providers whose adapter reports `refreshTokenExpiresAt` (Schwab), the refresh token's time left.
 * Never a credential.
 */
function providerStatus(node: ProviderConfigNode, now: number): Record<string, unknown> {
  if (!node.session) return { state: 'error', detail: node.configError?.message ?? 'not configured' };
  const status: Record<string, unknown> = { state: node.session.status.state, detail: node.session.status.detail, users: node.session.userCount };
  const adapter = node.session.stats().adapter;
  const expiresAt = adapter.refreshTokenExpiresAt;
  if (typeof expiresAt === 'number') {
    const leftMs = expiresAt - now;
    status.refreshToken = {
      expiresAt: new Date(expiresAt).toISOString(),
      daysLeft: Math.max(0, Math.floor(leftMs / 86_400_000)),
      hoursLeft: Math.max(0, Math.floor((leftMs % 86_400_000) / 3_600_000)),
      expired: leftMs <= 0,
      // false: counted from the token's first use in this Node-RED (set options.refreshTokenIssuedAt to be exact).
      issuedAtSet: adapter.refreshTokenIssuedAtSet === 1,
    };
  }
  return status;
}

function parseOptions(RED: NodeAPI, raw: unknown): Record<string, unknown> {
  if (raw === undefined || raw === null || raw === '') return {};
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      throw new MarketError('CONFIG', RED._('market-provider.errors.optionsNotJson'));
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new MarketError('CONFIG', RED._('market-provider.errors.optionsNotObject'));
  }
  return value as Record<string, unknown>;
}

function pickCredentials(raw: Credentials | undefined): Credentials {
  const credentials: Credentials = {};
  if (!raw) return credentials;
  for (const name of CREDENTIAL_NAMES) {
    const value = raw[name];
    if (typeof value === 'string' && value.length > 0) credentials[name] = value;
  }
  return credentials;
}
