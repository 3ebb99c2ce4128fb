/** Shared by the provider tests: a session user that records what it gets (and shows it to a SecretWatch). */
import type { MarketEvent, NoticeEvent, StatusEvent } from '../../../src/model/events';
import type { MarketError } from '../../../src/model/errors';
import type { SessionUser } from '../../../src/session/feed-session';
import type { SecretWatch } from '../../fakes/secret-watch';

export interface RecordingUser {
  user: SessionUser;
  events: MarketEvent[];
  statuses: StatusEvent[];
  notices: NoticeEvent[];
  errors: MarketError[];
}

export function recordingUser(id: string, watch: SecretWatch): RecordingUser {
  const recorded: RecordingUser = {
    events: [],
    statuses: [],
    notices: [],
    errors: [],
    user: {
      id,
      onEvent: (event) => {
        recorded.events.push(event);
        watch.capture(event);
      },
      onStatus: (status) => {
        if (status.type === 'status') recorded.statuses.push(status);
        else recorded.notices.push(status);
        watch.capture(status);
      },
      onError: (error) => {
        recorded.errors.push(error);
        watch.capture({ message: error.message, code: error.code, reason: error.reason, symbol: error.symbol });
      },
    },
  };
  return recorded;
}

/** Moves fake time on one second at a time, letting real I/O (the fakes' HTTP) run in between. */
export async function tickSeconds(time: { tickAsync(ms: number): Promise<number> }, seconds: number): Promise<void> {
  for (let i = 0; i < seconds; i += 1) {
    await time.tickAsync(1_000);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
