import type { Node } from 'node-red';
import type { Credentials, FeedSession, MarketError, SessionUser } from '../../src';

/** The market-provider config node as its users see it. */
export interface ProviderConfigNode extends Node<Credentials> {
  /** The shared session, or null when the configuration is unusable. */
  session: FeedSession | null;
  /** Why the configuration is unusable, for the users to show. */
  configError: MarketError | null;
  register(user: Node, consumer: SessionUser): void;
  deregister(user: Node, removed: boolean): Promise<void>;
}
