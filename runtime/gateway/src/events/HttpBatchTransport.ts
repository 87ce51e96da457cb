import { request } from 'undici';
import type { EventBatch } from './EventBatch';
import { EventTransport, RefusedEventsError } from './EventTransport';

/**
 * The most a POST's body holds: a segment can be tens of megabytes (1000 decisions of 600
 * routing candidates are 55 MB), far over the portal's 25 MB limit, and a proxy before it may
 * take less. Small bodies cost nothing more: a 4 MiB one is still thousands of usual events.
 */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** Events of a delivered batch the portal refused one by one (they break its contract). */
export type RejectedEvents = (
  count: number,
  rejections: Array<{ index: number; message: string }>,
) => void;

/**
 * How far a batch got: the parts still to send, first the one to send next (a part the portal
 * found too large is replaced there by its halves), and the events refused for good so far.
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

  constructor(
    portalUrl: string,
    private readonly token: string | undefined,
    private readonly onRejected?: RejectedEvents,
    private readonly timeoutMs = 10_000,
    private readonly maxBodyBytes = MAX_BODY_BYTES,
  ) {
    this.url = `${portalUrl.replace(/\/+$/, '')}/api/platform/events`;
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
      if (status === 413 && part.count > 1) {
        // Smaller than the portal's limit, but not a proxy's before it.
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
    const response = await request(this.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
      },
      body: part.toJsonBody(),
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
    });
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

  async close(): Promise<void> {}
}
