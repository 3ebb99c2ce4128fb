/**
 * The simulator's event clock: tasks ordered by virtual time in a binary min-heap. Running up
 * to a time executes every due task in time order; a task returns the time of its next run,
 * or null to end. Times are whole milliseconds and a task's next run is at least 1 ms later,
 * so timestamps are integers and no task can spin at one instant.
 */
export type TaskRun = (at: number) => number | null;

interface Entry {
  at: number;
  /** Insertion order, so tasks due at the same instant run first-in first-out. */
  order: number;
  run: TaskRun;
}

export class Scheduler {
  private readonly heap: Entry[] = [];
  private counter = 0;
  private current = 0;

  constructor(startAt: number) {
    this.current = startAt;
  }

  /** Virtual time of the task running now, or of the last run. */
  get now(): number {
    return this.current;
  }

  get size(): number {
    return this.heap.length;
  }

  /** Time of the next due task, or undefined when none is scheduled. */
  get nextAt(): number | undefined {
    return this.heap[0]?.at;
  }

  schedule(at: number, run: TaskRun): void {
    this.push({ at: Math.max(Math.round(at), this.current), order: this.counter++, run });
  }

  /** Runs every task due at or before `until`; at most `limit` runs. Returns how many ran. */
  runUntil(until: number, limit = Number.POSITIVE_INFINITY): number {
    let runs = 0;
    while (runs < limit) {
      const head = this.heap[0];
      if (!head || head.at > until) break;
      this.pop();
      this.current = head.at;
      runs += 1;
      const next = head.run(head.at);
      if (next !== null) this.push({ at: Math.max(Math.round(next), head.at + 1), order: this.counter++, run: head.run });
    }
    if (this.heap.length === 0 || (this.heap[0] as Entry).at > until) this.current = Math.max(this.current, until);
    return runs;
  }

  clear(): void {
    this.heap.length = 0;
  }

  private push(entry: Entry): void {
    const heap = this.heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(entry, heap[parent] as Entry)) break;
      heap[i] = heap[parent] as Entry;
      i = parent;
    }
    heap[i] = entry;
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop() as Entry;
    if (heap.length === 0) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && before(heap[right] as Entry, heap[left] as Entry) ? right : left;
      if (!before(heap[child] as Entry, last)) break;
      heap[i] = heap[child] as Entry;
      i = child;
    }
    heap[i] = last;
  }
}

function before(a: Entry, b: Entry): boolean {
  return a.at < b.at || (a.at === b.at && a.order < b.order);
}
