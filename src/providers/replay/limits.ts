/** How the replay provider paces itself (docs/architecture.md, "The replay provider"). */
export interface ReplayTuning {
  /** Timed playback (speed 1 or N): how often due events are emitted. */
  tickMs: number;
  /** speed "max": events emitted per turn of the event loop before yielding. */
  maxBatchEvents: number;
  /** Largest recording file read (bytes on disk); the whole file is decoded at start. */
  maxFileBytes: number;
}

export const REPLAY_DEFAULTS: ReplayTuning = {
  tickMs: 20,
  maxBatchEvents: 2_000,
  maxFileBytes: 256 * 1024 * 1024,
};

export const MAX_SPEED = 10_000;
export const MIN_SPEED = 0.01;
