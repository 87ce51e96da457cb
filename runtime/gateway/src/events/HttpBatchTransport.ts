import { request } from 'undici';
import type { EventBatch } from './EventBatch';
import { EventTransport, RefusedEventsError } from './EventTransport';

/**
 * The most a POST's body holds: a segment can be tens of megabytes (1000 decisions of 600
 * routing candidates are 55 MB), far over the portal's 25 MB limit, and a proxy before it may
 * take less. Small bodies cost nothing more: a 4 MiB one is still thousands of usual events.
 */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** The longest wait for the portal's answer that timeouts in a row can grow to. */
const MAX_TIMEOUT_MS = 120_000;

/** Events of a delivered batch the portal refused one by one (they break its contract). */
export type RejectedEvents = (
  count: number,
  rejections: Array<{ index: number; message: string }>,
) => void;

/**
 * How far a batch got: the parts still to send, first the one to send next (a part the portal
 * refused whole is replaced there by its halves), and the events refused for good so far.
 */
interface Progress {
  pending: EventBatch[];
  refused: number;
  statuses: Set<number>;
}

export class HttpBatchTransport implements EventTransport {
  readonly name = 'http';
  private readonly url: string;
  /**
   * A batch retried after a failure goes on from the part that failed, halves included: the
   * parts before it are not sent again, nor their rejected events reported again.
   */
  private readonly progress = new WeakMap<EventBatch, Progress>();
  /**
   * The wait for an answer: doubled after each timeout (a portal that stores big batches
   * slower than the configured wait would otherwise be sent the same batch for ever), back to
   * the configured one after an answer that came within it.
   */
  private waitMs: number;
  private readonly stopping = new AbortController();

  constructor(
    portalUrl: string,
    private readonly token: string | undefined,
    private readonly onRejected?: RejectedEvents,
    private readonly timeoutMs = 10_000,
    private readonly maxBodyBytes = MAX_BODY_BYTES,
  ) {
    this.url = `${portalUrl.replace(/\/+$/, '')}/api/platform/events`;
    this.waitMs = timeoutMs;
  }

  async send(batch: EventBatch): Promise<void> {
    let progress = this.progress.get(batch);
    if (!progress) {
      progress = {
        pending: batch.split(this.maxBodyBytes),
        refused: 0,
        statuses: new Set(),
      };
      this.progress.set(batch, progress);
    }
    const { pending, statuses } = progress;
    while (pending.length > 0) {
      const part = pending[0];
      const status = await this.post(part);
      if (status !== undefined && part.count > 1) {
        // Refused whole: too large for a proxy before the portal (413), or a line of it is
        // not an event (a segment the disk corrupted: 400). Halved until the refusal is one
        // event's, only that one is lost, for some 2·log₂(events) posts a bad line.
        pending.splice(0, 1, ...part.halves());
        continue;
      }
      pending.shift();
      if (status !== undefined) {
        statuses.add(status);
        progress.refused += part.count;
      }
    }
    // Every other part is delivered: the refused ones are set aside with the batch, and only
    // they are lost.
    if (progress.refused > 0) {
      throw new RefusedEventsError(
        `portal refused ${progress.refused} of the batch's ${
          batch.count
        } events with ${[...statuses].join(', ')}`,
        progress.refused,
      );
    }
  }

  /**
   * POSTs a part: resolves when the portal has it, with the status of a refusal for good
   * (it will never take these events; retrying would block the queue), throws to retry.
   */
  private async post(part: EventBatch): Promise<number | undefined> {
    const startedAt = performance.now();
    let response: Awaited<ReturnType<typeof request>>;
    try {
      response = await request(this.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        },
        body: part.toJsonBody(),
        headersTimeout: this.waitMs,
        bodyTimeout: this.waitMs,
        signal: this.stopping.signal,
      });
    } catch (error) {
      if ((error as { code?: string }).code === 'UND_ERR_HEADERS_TIMEOUT') {
        this.waitMs = Math.min(this.waitMs * 2, MAX_TIMEOUT_MS);
      }
      throw error;
    }
    if (performance.now() - startedAt <= this.timeoutMs) {
      this.waitMs = this.timeoutMs;
    }
    const status = response.statusCode;
    if (status >= 200 && status < 300) {
      // The portal stores a batch's valid events and names the ones it refused: those are
      // lost, and said so here too, where the gateway's operators look.
      const answer = (await response.body.json().catch(() => undefined)) as
        | { rejected?: unknown; rejections?: unknown }
        | undefined;
      const rejected = answer?.rejected;
      if (typeof rejected === 'number' && rejected > 0) {
        // Whatever the answer holds, the batch is delivered: it is never sent again for it.
        const rejections = Array.isArray(answer?.rejections)
          ? answer!.rejections
          : [];
        this.onRejected?.(rejected, rejections);
      }
      return undefined;
    }
    await response.body.dump();
    if (status === 400 || status === 413 || status === 422) return status;
    throw new Error(`portal answered ${status}`);
  }

  abort(): void {
    this.stopping.abort();
  }

  async close(): Promise<void> {}
}
