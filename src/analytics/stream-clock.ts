/**
 * Time as the data sees it: the newest event timestamp seen, carried forward by wall time while
 * the stream is silent. Analytics windows follow event time, so the simulator at full speed (or
 * a replay) gives the same results as real time, and a quiet market still ages its windows.
 */
export class StreamClock {
  private latest: number | null = null;
  private wallAtLatest = 0;

  /** Notes an event's timestamp and the wall time it arrived at. Older timestamps do not move the clock back. */
  observe(eventTs: number, wallNow: number): void {
    if (this.latest === null || eventTs >= this.latest) {
      this.latest = eventTs;
      this.wallAtLatest = wallNow;
    }
  }

  /** The newest event timestamp, or null before the first event. */
  get latestEventAt(): number | null {
    return this.latest;
  }

  /** Event time now: the newest timestamp plus the wall time since it arrived; null before the first event. */
  now(wallNow: number): number | null {
    return this.latest === null ? null : this.latest + Math.max(0, wallNow - this.wallAtLatest);
  }
}
