import type { EventBatch } from './EventBatch';
import { retryDelayMs } from './retryDelay';

/** Failed sends in a row after which a segment, with younger ones waiting, is passed over. */
const FAILURES_BEFORE_PASSED_OVER = 3;
/**
 * Bad batches in a row a probe gets past at most; beyond, they hold back the rest as an outage
 * does, each probe costing the receiver this many sends at once.
 */
const MAX_PROBE_DEPTH = 16;
/** Batches kept for their progress: the segments being retried are few. */
const MAX_KEPT_BATCHES = 16;

/**
 * `passed`: failed three times in a row, passed over for the younger ones; `probation`: a
 * younger one was delivered since, so it is tried again at once; `bad`: it failed on
 * probation, so the receiver fails on this batch, not on everything: it is tried again on a
 * backoff of its own and never holds back the rest.
 */
interface PassedOver {
  standing: 'passed' | 'probation' | 'bad';
  failures: number;
  dueAt: number;
}

/**
 * The order the sender tries sealed segments in: oldest first, except that a batch the
 * receiver fails on every time (a 500 for one event its code cannot take) must not hold back
 * the others. When the segment after a passed-over one fails too, the receiver is down, or
 * the next batch is bad as well: the oldest goes first again, and the next probe passes over
 * one segment more, so that a run of bad batches is got past. A batch whose send failed
 * part-way is kept, so that its next try goes on from the part that failed
 * (`HttpBatchTransport` keeps its progress by batch) and reports none of its refused events
 * twice.
 */
export class SendOrder {
  private head?: { name: string; failures: number };
  private readonly passed = new Map<string, PassedOver>();
  private readonly batches = new Map<string, EventBatch>();
  private deliveredSincePassedOver = false;
  /** How many segments in a row the next probe passes over, one more after each that failed. */
  private probeDepth = 1;

  constructor(
    private readonly maxBackoffMs: number,
    private readonly random?: () => number,
    private readonly now: () => number = Date.now,
  ) {}

  /** For `DiskSpool.oldestSealed`: the segments the sender goes past for now. */
  readonly isPassedOver = (name: string): boolean => {
    const entry = this.passed.get(name);
    if (!entry) return false;
    if (entry.standing === 'bad') return this.now() < entry.dueAt;
    return entry.standing === 'passed';
  };

  /** Whether any segment is passed over (the sender's fast path asks nothing else then). */
  get passingOver(): boolean {
    return this.passed.size > 0;
  }

  /** How long the segment must wait before its next try: only a bad batch's backoff. */
  waitMs(name: string): number {
    const entry = this.passed.get(name);
    return entry?.standing === 'bad'
      ? Math.max(0, entry.dueAt - this.now())
      : 0;
  }

  /** The batch of a segment whose send failed, as read then. */
  batchOf(name: string): EventBatch | undefined {
    return this.batches.get(name);
  }

  /**
   * A send of `name` failed; `youngerWaiting`: a segment not passed over is behind it. `next`:
   * try the next segment at once; `backoff`: the receiver is down, wait before any send.
   */
  failed(
    name: string,
    batch: EventBatch,
    youngerWaiting: boolean,
  ): 'next' | 'backoff' {
    this.keep(name, batch);
    const entry = this.passed.get(name);
    if (entry && entry.standing !== 'passed') {
      entry.standing = 'bad';
      entry.failures += 1;
      entry.dueAt =
        this.now() +
        retryDelayMs(entry.failures, this.maxBackoffMs, this.random);
      return 'next';
    }
    const probing = !this.deliveredSincePassedOver && this.passedInProbe() > 0;
    if (probing && youngerWaiting && this.passedInProbe() < this.probeDepth) {
      return this.passOver(name, 1);
    }
    if (probing) {
      // Nothing past the first `probeDepth` went through: the receiver is down, or as many
      // bad batches are in a row. The oldest goes first again; its next probe goes one further.
      this.restoreOrder();
      this.probeDepth = Math.min(this.probeDepth + 1, MAX_PROBE_DEPTH);
    }
    this.head =
      this.head?.name === name
        ? { name, failures: this.head.failures + 1 }
        : { name, failures: 1 };
    if (this.head.failures >= FAILURES_BEFORE_PASSED_OVER && youngerWaiting) {
      this.head = undefined;
      this.deliveredSincePassedOver = false;
      return this.passOver(name, FAILURES_BEFORE_PASSED_OVER);
    }
    return 'backoff';
  }

  private passOver(name: string, failures: number): 'next' {
    this.passed.set(name, { standing: 'passed', failures, dueAt: 0 });
    return 'next';
  }

  private passedInProbe(): number {
    let count = 0;
    for (const entry of this.passed.values()) {
      if (entry.standing === 'passed') count += 1;
    }
    return count;
  }

  /** `name` was delivered: the receiver is up, and what it passed over gets another try. */
  succeeded(name: string): void {
    this.forget(name);
    this.deliveredSincePassedOver = true;
    this.probeDepth = 1;
    for (const entry of this.passed.values()) {
      if (entry.standing === 'passed') entry.standing = 'probation';
    }
  }

  /** `name` left the spool (delivered, set aside, dropped, vanished). */
  forget(name: string): void {
    this.passed.delete(name);
    this.batches.delete(name);
    if (this.head?.name === name) this.head = undefined;
  }

  /** Passed-over segments the spool no longer holds (the byte cap dropped them). */
  prune(holds: (name: string) => boolean): void {
    for (const name of this.passed.keys()) {
      if (!holds(name)) this.forget(name);
    }
  }

  /** The segments passed over since the last delivery go back in line, oldest first. */
  private restoreOrder(): void {
    for (const [name, entry] of this.passed) {
      if (entry.standing === 'passed') this.passed.delete(name);
    }
  }

  private keep(name: string, batch: EventBatch): void {
    this.batches.delete(name);
    this.batches.set(name, batch);
    if (this.batches.size > MAX_KEPT_BATCHES) {
      // The least recently failed: its parts are sent again, deduplicated by id.
      this.batches.delete(this.batches.keys().next().value!);
    }
  }
}
