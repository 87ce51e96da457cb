import {
  connect,
  JetStreamClient,
  NatsConnection,
  RetentionPolicy,
  StorageType,
} from 'nats';
import {
  eventsSubject,
  EVENTS_SUBJECT_PREFIX,
} from '@cellport/plugin-platform-common';
import type { EventBatch } from './EventBatch';
import { EventTransport, RefusedEventsError } from './EventTransport';

export const EVENTS_STREAM = 'CELLPORT_EVENTS';

/** Messages stay well under NATS's default 1 MiB payload limit. */
const MAX_MESSAGE_BYTES = 512 * 1024;
/**
 * What a message's headers take of the server's `max_payload`, which counts them: the
 * `Nats-Msg-Id` header is about 75 bytes. A part sized to the payload limit alone was refused
 * on every retry when the server's limit was under MAX_MESSAGE_BYTES.
 */
const HEADER_ALLOWANCE_BYTES = 256;
/**
 * How long a stop lets the connection drain: a server that stopped answering (frozen,
 * partitioned) would hold the stop for as long. What was not acknowledged is in the spool.
 */
const CLOSE_TIMEOUT_MS = 2_000;

/**
 * Splits a batch into EventBatch payloads under the size limit. The split and the ids depend
 * only on the events, so a retried segment yields the same messages and ids.
 */
export function toMessages(
  batch: EventBatch,
  maxBytes = MAX_MESSAGE_BYTES,
): Array<{ id: string; payload: Buffer; events: number }> {
  return batch.split(maxBytes).map(part => ({
    id: `batch-${part.digest().slice(0, 40)}`,
    payload: part.toJsonBody(),
    events: part.count,
  }));
}

/**
 * Publishes events to NATS JetStream in the shape the portal's consumer reads: one message per
 * EventBatch (`{"events": [...]}`) on `cellport.events.<cell>` in stream `CELLPORT_EVENTS`.
 * Each message's `Nats-Msg-Id` is a digest of its events, so the stream drops a
 * redelivered batch inside its duplicate window, and the portal's ingest is idempotent on
 * event ids beyond it. A batch counts as sent once every message is acked.
 */
export class NatsTransport implements EventTransport {
  readonly name = 'nats';
  private connection?: Promise<{ nc: NatsConnection; js: JetStreamClient }>;
  /** Whether the stream was found (or made) since the last failed publish. */
  private streamReady = false;

  constructor(private readonly servers: string) {}

  private connect(): Promise<{ nc: NatsConnection; js: JetStreamClient }> {
    this.connection ??= (async () => {
      const nc = await connect({
        servers: this.servers.split(','),
        name: 'cellport-gateway',
        maxReconnectAttempts: -1,
        timeout: 5000,
      });
      return { nc, js: nc.jetstream() };
    })().catch(error => {
      this.connection = undefined;
      throw error;
    });
    return this.connection;
  }

  /** Finds the stream, or makes it: the server may be new, or back with an empty store. */
  private async ensureStream(nc: NatsConnection): Promise<void> {
    const jsm = await nc.jetstreamManager();
    try {
      await jsm.streams.info(EVENTS_STREAM);
    } catch {
      await jsm.streams.add({
        name: EVENTS_STREAM,
        subjects: [`${EVENTS_SUBJECT_PREFIX}.>`],
        retention: RetentionPolicy.Limits,
        storage: StorageType.File,
        duplicate_window: 10 * 60 * 1e9,
      });
    }
    this.streamReady = true;
  }

  async send(batch: EventBatch): Promise<void> {
    if (batch.count === 0) return;
    const { nc, js } = await this.connect();
    if (!this.streamReady) await this.ensureStream(nc);
    // One subject per cell; only the first event is parsed to find it.
    const cell = String(JSON.parse(batch.firstEvent()!).cell ?? 'unknown');
    const subject = eventsSubject(cell);
    // An event larger than the server takes (its max_payload) is a message of its own that
    // can never be published: refused for good, as a 413 over HTTP, or it would hold up every
    // segment behind it.
    // The payload a message may carry: the server's limit counts its headers too.
    const payloadLimit =
      (nc.info?.max_payload ?? MAX_MESSAGE_BYTES) - HEADER_ALLOWANCE_BYTES;
    const messages = toMessages(
      batch,
      Math.min(MAX_MESSAGE_BYTES, payloadLimit),
    );
    const tooLarge = messages.filter(m => m.payload.length > payloadLimit);
    try {
      await Promise.all(
        messages
          .filter(message => message.payload.length <= payloadLimit)
          .map(message =>
            js.publish(subject, message.payload, {
              msgID: message.id,
              timeout: 5000,
            }),
          ),
      );
    } catch (error) {
      // The connection reconnects by itself, but a server restarted with an empty store has
      // no stream (publishes find no responder): the retry looks for it first.
      this.streamReady = false;
      throw error;
    }
    if (tooLarge.length > 0) {
      throw new RefusedEventsError(
        `${tooLarge.length} events larger than the NATS server's max_payload (${
          payloadLimit + HEADER_ALLOWANCE_BYTES
        } bytes, headers included)`,
        tooLarge.reduce((events, message) => events + message.events, 0),
      );
    }
  }

  async close(): Promise<void> {
    if (!this.connection) return;
    const { nc } = await this.connection.catch(() => ({ nc: undefined }));
    if (!nc) return;
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      nc.drain().then(
        () => true,
        () => false,
      ),
      new Promise<false>(resolve => {
        timer = setTimeout(resolve, CLOSE_TIMEOUT_MS, false);
      }),
    ]);
    clearTimeout(timer);
    if (!drained) await nc.close().catch(() => undefined);
  }
}
