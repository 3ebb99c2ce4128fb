import type { Node } from 'node-red';
import type { Credentials, FeedSession, MarketError, SessionUser } from '../../src';

/** The market-provider config node as its users see it. */
export interface ProviderConfigNode extends Node<Credentials> {
  /** The shared session, or null when the configuration is unusable. */
  session: FeedSession | null;
  /** Why the configuration is unusable, for the users to show. */
  configError: MarketError | null;
  /** Adds a user of the shared session; throws configError when the configuration is unusable. */
  register(user: SessionUser): void;
  deregister(user: SessionUser, removed: boolean): Promise<void>;
}
