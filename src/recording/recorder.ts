/**
 * The writer behind market-record: normalized events → NDJSON lines (gzip optional) in a file
 * that rotates by day or size. Memory stays bounded whatever the rate: while the stream refuses
 * more (write() returned false, until 'drain') lines wait in a capped queue, and past the cap
 * they are dropped and counted. A write error (unwritable path, full disk) is reported once per
 * failure and the file is tried again after a pause; it never throws into the caller.
 */
import fs from 'node:fs';
import path from 'node:path';
import { finished, pipeline, type Writable } from 'node:stream';
import zlib from 'node:zlib';
import type { MarketEvent } from '../model/events';
import { formatEventLine, formatHeaderLine } from '../model/recording';

export type RotateMode = 'none' | 'daily' | 'size';

export interface RecorderOptions {
  /** Absolute path of the file (the base name when rotating). */
  file: string;
  gzip: boolean;
  rotate: RotateMode;
  /** Size rotation: NDJSON bytes (before compression) per file. */
  maxSizeBytes: number;
  /** Pack version for the header line. */
  pack: string;
  now: () => number;
  onError: (error: Error, file: string) => void;
  maxQueueLines?: number;
  maxQueueBytes?: number;
  retryAfterMs?: number;
}

export interface RecorderStats {
  written: number;
  dropped: number;
  errors: number;
  queued: number;
  files: number;
}

const DEFAULT_QUEUE_LINES = 10_000;
const DEFAULT_QUEUE_BYTES = 8 * 1024 * 1024;
const DEFAULT_RETRY_MS = 10_000;

interface OpenFile {
  name: string;
  /** Where lines go: the gzip stream or the file itself. */
  head: Writable;
  closed: Promise<void>;
  bytes: number;
  failed: boolean;
}

export class Recorder {
  private readonly options: RecorderOptions;
  private readonly maxQueueLines: number;
  private readonly maxQueueBytes: number;
  private readonly retryAfterMs: number;
  private readonly symbols = new Set<string>();
  private readonly closing = new Set<Promise<void>>();
  private current: OpenFile | null = null;
  private queue: string[] = [];
  private queueBytes = 0;
  private blocked = false;
  private retryAt = 0;
  private sizeIndex = 0;
  private stopped = false;
  private queueEmptied: (() => void) | null = null;
  private readonly counts: RecorderStats = { written: 0, dropped: 0, errors: 0, queued: 0, files: 0 };

  constructor(options: RecorderOptions) {
    this.options = options;
    this.maxQueueLines = options.maxQueueLines ?? DEFAULT_QUEUE_LINES;
    this.maxQueueBytes = options.maxQueueBytes ?? DEFAULT_QUEUE_BYTES;
    this.retryAfterMs = options.retryAfterMs ?? DEFAULT_RETRY_MS;
  }

  stats(): RecorderStats {
    return { ...this.counts, queued: this.queue.length };
  }

  /** True while the last open failed and the pause before the next try has not passed. */
  get failing(): boolean {
    return this.retryAt > this.options.now();
  }

  /** Queues one event; false when it was dropped (queue full, stopped, or the file failing). */
  write(event: MarketEvent): boolean {
    if (this.stopped || this.failing) return this.drop();
    this.symbols.add(event.symbol);
    const line = formatEventLine(event);
    const target = this.targetFor(event, line.length);
    if (!this.current || this.current.name !== target || this.current.failed) {
      if (this.queue.length > 0 && this.current && !this.current.failed) {
        // Rotating now would strand the queued lines: while the disk is behind, the rotation waits
        // until the queue is empty, so a few lines past the boundary can land in the old file.
        return this.enqueue(line);
      }
      this.openFile(target, event);
      if (!this.current) return this.drop();
    }
    return this.enqueue(line);
  }

  /** Flushes what is queued, finishes the compression and closes the file. */
  async close(): Promise<void> {
    this.stopped = true;
    this.flush();
    const file = this.current;
    if (file && !file.failed) {
      await new Promise<void>((resolve) => this.waitForEmptyQueue(resolve, file));
      this.finishFile(file);
    }
    this.current = null;
    await Promise.all([...this.closing]);
  }

  /** Resolves once flush() has handed every queued line to the stream, or the file failed. */
  private waitForEmptyQueue(resolve: () => void, file: OpenFile): void {
    if (this.queue.length === 0 || file.failed) {
      resolve();
      return;
    }
    const closed = (): void => settle();
    const settle = (): void => {
      this.queueEmptied = null;
      file.head.off('close', closed);
      resolve();
    };
    this.queueEmptied = settle;
    file.head.once('close', closed);
  }

  private drop(): boolean {
    this.counts.dropped += 1;
    return false;
  }

  private enqueue(line: string): boolean {
    if (this.queue.length >= this.maxQueueLines || this.queueBytes + line.length > this.maxQueueBytes) return this.drop();
    this.queue.push(line);
    this.queueBytes += line.length;
    if (!this.blocked) this.flush();
    return true;
  }

  /** Writes queued lines until the stream asks to wait. */
  private flush(): void {
    const file = this.current;
    if (!file || file.failed) return;
    while (this.queue.length > 0 && !this.blocked) {
      const line = this.queue.shift() as string;
      this.queueBytes -= line.length;
      file.bytes += Buffer.byteLength(line);
      this.counts.written += 1;
      if (!file.head.write(line)) {
        this.blocked = true;
        file.head.once('drain', () => {
          this.blocked = false;
          this.flush();
        });
      }
    }
    if (this.queue.length === 0 && this.queueEmptied) this.queueEmptied();
  }

  private targetFor(event: MarketEvent, lineBytes: number): string {
    const { file, rotate, gzip, maxSizeBytes } = this.options;
    const { base, ext } = splitName(file, gzip);
    if (rotate === 'daily') return `${base}-${new Date(event.ts).toISOString().slice(0, 10)}${ext}`;
    if (rotate === 'size') {
      if (this.sizeIndex === 0) this.sizeIndex = firstFreeIndex(base, ext);
      else if (this.current && !this.current.failed && this.current.bytes > 0 && this.current.bytes + lineBytes > maxSizeBytes) this.sizeIndex += 1;
      return `${base}-${this.sizeIndex}${ext}`;
    }
    return `${base}${ext}`;
  }

  private openFile(name: string, first: MarketEvent): void {
    if (this.current && !this.current.failed) this.finishFile(this.current);
    this.current = null;
    this.blocked = false;
    let out: fs.WriteStream;
    try {
      fs.mkdirSync(path.dirname(name), { recursive: true });
      out = fs.createWriteStream(name, { flags: 'a' });
    } catch (err) {
      this.fail(err, name, null);
      return;
    }
    const gzip = this.options.gzip ? zlib.createGzip() : null;
    const head: Writable = gzip ?? out;
    const opened: OpenFile = { name, head, bytes: 0, failed: false, closed: Promise.resolve() };
    opened.closed = new Promise<void>((resolve) => {
      const ended = (err: Error | null | undefined): void => {
        if (err) this.fail(err, name, opened);
      };
      // The file's own 'close' ends the promise: the bytes are on disk and the descriptor freed.
      if (gzip) pipeline(gzip, out, ended);
      else finished(out, ended);
      out.once('close', () => resolve());
    });
    this.current = opened;
    this.counts.files += 1;
    const header = formatHeaderLine({ pack: this.options.pack, provider: first.provider, symbols: [...this.symbols], createdAt: this.options.now() });
    opened.bytes += Buffer.byteLength(header);
    head.write(header);
  }

  private finishFile(file: OpenFile): void {
    file.head.end();
    const done = file.closed.then(() => {
      this.closing.delete(done);
    });
    this.closing.add(done);
  }

  private fail(err: unknown, name: string, file: OpenFile | null): void {
    if (file) {
      if (file.failed) return;
      file.failed = true;
      file.head.destroy();
    }
    const error = err instanceof Error ? err : new Error(String(err));
    this.counts.errors += 1;
    this.counts.dropped += this.queue.length;
    this.queue = [];
    this.queueBytes = 0;
    this.blocked = false;
    if (!file || this.current === file) this.current = null;
    this.queueEmptied?.();
    this.retryAt = this.options.now() + this.retryAfterMs;
    this.options.onError(error, name);
  }
}

function splitName(file: string, gzip: boolean): { base: string; ext: string } {
  let name = gzip || !file.endsWith('.gz') ? file.replace(/\.gz$/, '') : file;
  const ext = path.extname(name);
  name = ext ? name.slice(0, -ext.length) : name;
  return { base: name, ext: `${ext}${gzip ? '.gz' : ''}` };
}

/** Size rotation after a restart: the first index whose file does not exist yet. */
function firstFreeIndex(base: string, ext: string): number {
  let index = 1;
  while (fs.existsSync(`${base}-${index}${ext}`)) index += 1;
  return index;
}
