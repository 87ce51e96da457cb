import { request } from 'undici';
import type { EventBatch } from './EventBatch';
import { EventTransport, PermanentDeliveryError } from './EventTransport';

/** Events of a delivered batch the portal refused one by one (they break its contract). */
export type RejectedEvents = (
  count: number,
  rejections: Array<{ index: number; message: string }>,
) => void;

/** POSTs batches to the portal's ingest endpoint, `{portalUrl}/api/platform/events`. */
export class HttpBatchTransport implements EventTransport {
  readonly name = 'http';
  private readonly url: string;

  constructor(
    portalUrl: string,
    private readonly token: string | undefined,
    private readonly onRejected?: RejectedEvents,
    private readonly timeoutMs = 10_000,
  ) {
    this.url = `${portalUrl.replace(/\/+$/, '')}/api/platform/events`;
  }

  async send(batch: EventBatch): Promise<void> {
    const response = await request(this.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
      },
      body: batch.toJsonBody(),
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
      return;
    }
    await response.body.dump();
    // 400 and 422 mean the portal will never take this batch; retrying would block the queue.
    if (status === 400 || status === 413 || status === 422) {
      throw new PermanentDeliveryError(
        `portal refused the batch with ${status}`,
      );
    }
    throw new Error(`portal answered ${status}`);
  }

  async close(): Promise<void> {}
}
