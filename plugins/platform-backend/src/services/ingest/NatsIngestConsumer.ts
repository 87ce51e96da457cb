import { LoggerService } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import {
  AckPolicy,
  connect,
  ConsumerMessages,
  DeliverPolicy,
  Events,
  JetStreamManager,
  JsMsg,
  NatsConnection,
  RetentionPolicy,
  StorageType,
} from 'nats';
import { readPlatformSettings } from '../../config/platformSettings';
import { IngestService } from './IngestService';
import { eventsSubject } from '@cellport/plugin-platform-common';
import {
  EventCheck,
  parseEventBatch,
  unstorableRejections,
} from './parseEventBatch';

export interface NatsIngestOptions {
  servers: string[];
  /** Stream the gateways publish into; created (with `subjects`) when it does not exist. */
  stream: string;
  subjects: string[];
  /** Durable consumer name: the position survives restarts and is shared by replicas. */
  durable: string;
  /** Messages pulled at a time. */
  batchSize: number;
  /** Wait before a failed message (e.g. database down) is delivered again. */
  retryDelayMs: number;
}

/** Waits between attempts to recreate the stream and consumer: doubling, at most this. */
const RECOVERY_BACKOFF_MS = { first: 250, max: 10_000 };
/** How long stop() lets the connection drain (flush acks) before it closes it. */
const DRAIN_LIMIT_MS = 5_000;

/**
 * Events published on a cell's subject must be that cell's (`eventsSubject`): NATS grants
 * each gateway the subject of its own cell, so an event claiming another cell, and writing
 * cost or errors into its tenants, is refused by index.
 */
function ofSubjectCell(subject: string): EventCheck {
  const token = subject.slice(subject.lastIndexOf('.') + 1);
  return event =>
    eventsSubject(event.cell).endsWith(`.${token}`)
      ? undefined
      : `cell: ${event.cell} is not the cell of the subject it was published on (${subject})`;
}

/**
 * The production event transport: a durable JetStream pull consumer feeding the same ingest
 * path as HTTP. A message (one event batch, as posted to /events) is acked only after its
 * transaction commits; if the write fails it is nak'ed and redelivered later, and because
 * ingest is idempotent on event ids a redelivery never counts twice. Events of a batch that
 * break the contract are dropped and logged, the rest stored; a message that is no batch (or
 * has no valid event) can never succeed, so it is terminated (and logged), not retried forever.
 *
 * NATS may come back from a restart without its JetStream store (no persistent volume): the
 * stream and the durable consumer are then gone, the gateways recreate the stream, and nothing
 * would ever be delivered here again. So consuming aborts when the stream or consumer is
 * missing (or deleted), and the consumer logs a warning once per outage, recreates both with
 * backoff and resumes; the new consumer delivers the whole new stream, and what it delivers
 * again is not counted twice. A restart with the store kept is a plain reconnect.
 */
export class NatsIngestConsumer {
  private connection?: NatsConnection;
  private messages?: ConsumerMessages;
  private loop?: Promise<void>;
  private stopping = false;
  /** Set while the loop recreates the stream and consumer (or waits to). */
  private recovering = false;
  /** Ends a backoff wait early (stop()). */
  private wake?: () => void;
  /** Whether the connection is between a disconnect and a reconnect. */
  private disconnected = false;

  /** `platform.nats`: a consumer when `enabled`, else none (gateways post over HTTP). */
  static fromConfig(
    config: Config,
    ingest: IngestService,
    logger: LoggerService,
  ): NatsIngestConsumer | undefined {
    const { enabled, ...options } = readPlatformSettings(config).nats;
    return enabled
      ? new NatsIngestConsumer(ingest, logger, options)
      : undefined;
  }

  constructor(
    private readonly ingest: IngestService,
    private readonly logger: LoggerService,
    private readonly options: NatsIngestOptions,
  ) {}

  async start(): Promise<void> {
    try {
      this.connection = await connect({
        servers: this.options.servers,
        name: 'cellport-platform-backend',
        // Outlive any outage: a closed connection would end consuming for good.
        maxReconnectAttempts: -1,
      });
    } catch (error) {
      throw new Error(
        `Cannot reach NATS at ${this.options.servers.join(', ')}: ${
          (error as Error).message
        }`,
      );
    }
    this.watch(this.connection);
    this.messages = await this.subscribe(this.connection);
    this.loop = this.run(this.connection, this.messages);
  }

  /** Stops consuming (after the message in hand), also while recovering, and disconnects. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    this.messages?.stop();
    const connection = this.connection;
    // Recovery's requests would only time out, and NATS being down there is nothing to
    // flush: close at once.
    if (
      (this.recovering || this.disconnected) &&
      connection &&
      !connection.isClosed()
    ) {
      await connection.close();
    }
    await this.loop;
    if (connection && !connection.isClosed()) {
      // Draining flushes the last acks, but waits for a server that may be gone.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        connection.drain().catch(() => undefined),
        new Promise(resolve => {
          timer = setTimeout(resolve, DRAIN_LIMIT_MS);
        }),
      ]);
      clearTimeout(timer);
      if (!connection.isClosed()) await connection.close();
    }
  }

  /** Follows whether the connection is up (it reconnects by itself). */
  private watch(connection: NatsConnection) {
    (async () => {
      for await (const status of connection.status()) {
        if (status.type === Events.Disconnect) this.disconnected = true;
        if (status.type === Events.Reconnect) this.disconnected = false;
      }
    })().catch(() => undefined);
  }

  /** Makes sure the stream and the durable consumer exist, then consumes from the consumer. */
  private async subscribe(connection: NatsConnection) {
    const manager = await connection.jetstreamManager();
    await this.ensureStream(manager);
    await this.ensureConsumer(manager);
    const consumer = await connection
      .jetstream()
      .consumers.get(this.options.stream, this.options.durable);
    return consumer.consume({
      max_messages: this.options.batchSize,
      // Fail (and recover here) rather than wait for a consumer nobody recreates.
      abort_on_missing_resource: true,
    });
  }

  private async run(connection: NatsConnection, first: ConsumerMessages) {
    let messages: ConsumerMessages | undefined = first;
    let outage: string | undefined;
    let attempt = 0;
    while (!this.stopping) {
      try {
        if (!messages) {
          messages = await this.subscribe(connection);
          if (this.stopping) {
            messages.stop();
            break;
          }
          this.messages = messages;
          this.recovering = false;
          this.logger.info(
            `NATS consumer ${this.options.durable} of stream ${this.options.stream} recreated; ingest resumed`,
          );
          outage = undefined;
          attempt = 0;
        }
        for await (const message of messages) {
          await this.handle(message);
        }
        if (this.stopping) break;
        throw new Error('message delivery ended');
      } catch (error) {
        messages?.stop();
        messages = undefined;
        if (this.stopping) break;
        this.recovering = true;
        const cause = (error as Error).message;
        if (outage === undefined) {
          outage = cause;
          this.logger.warn(
            `NATS consumer ${this.options.durable} of stream ${this.options.stream} stopped receiving (${cause}); ` +
              'NATS may have restarted without its JetStream store. Recreating the stream and the consumer; ingest resumes once that succeeds',
          );
        } else {
          this.logger.debug(
            `Recreating NATS consumer ${this.options.durable} failed, retrying: ${cause}`,
          );
        }
        await this.pause(
          Math.min(
            RECOVERY_BACKOFF_MS.max,
            RECOVERY_BACKOFF_MS.first * 2 ** Math.min(attempt++, 16),
          ),
        );
      }
    }
    this.recovering = false;
  }

  /** Waits `ms`, or less if stop() is called. */
  private async pause(ms: number) {
    await new Promise<void>(resolve => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
      if (this.stopping) this.wake();
    });
    this.wake = undefined;
  }

  /** Stores one message's batch, then acks it; or naks (retry later) or terms (never valid). */
  async handle(message: JsMsg): Promise<void> {
    let body: unknown;
    try {
      body = message.json();
    } catch {
      body = undefined;
    }
    try {
      const { events, rejections } = parseEventBatch(
        body,
        this.ingest.notBeforeMs(),
        ofSubjectCell(message.subject),
      );
      const { unstorable } = await this.ingest.ingestIsolating(events);
      message.ack();
      rejections.push(...unstorableRejections(body, unstorable));
      if (rejections.length > 0) {
        this.logger.error(
          `Dropped ${rejections.length} invalid events of message ${
            message.subject
          }#${message.seq}: ${rejections
            .slice(0, 5)
            .map(r => r.message)
            .join('; ')}`,
        );
      }
    } catch (error) {
      if (error instanceof InputError || body === undefined) {
        this.logger.error(
          `Dropping invalid event message ${message.subject}#${message.seq}: ${
            (error as Error).message
          }`,
        );
        message.term();
      } else {
        this.logger.warn(
          `Event message ${message.subject}#${message.seq} failed, retrying: ${
            (error as Error).message
          }`,
        );
        message.nak(this.options.retryDelayMs);
      }
    }
  }

  private async ensureStream(manager: JetStreamManager) {
    try {
      await manager.streams.info(this.options.stream);
      return;
    } catch {
      // Missing (or NATS not answering: then adding fails too).
    }
    try {
      await manager.streams.add({
        name: this.options.stream,
        subjects: this.options.subjects,
        retention: RetentionPolicy.Limits,
        storage: StorageType.File,
        // As the gateway creates it: redelivered batches inside 10 minutes are dropped.
        duplicate_window: 10 * 60 * 1e9,
      });
    } catch (error) {
      // A gateway may have made it meanwhile (the same way, or with other subjects).
      await manager.streams.info(this.options.stream).catch(() => {
        throw error;
      });
    }
  }

  private async ensureConsumer(manager: JetStreamManager) {
    try {
      await manager.consumers.info(this.options.stream, this.options.durable);
      return;
    } catch {
      // Missing (or NATS not answering: then adding fails too).
    }
    try {
      await manager.consumers.add(this.options.stream, {
        durable_name: this.options.durable,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        ack_wait: 30_000_000_000,
      });
    } catch (error) {
      // Another replica may have made it meanwhile.
      await manager.consumers
        .info(this.options.stream, this.options.durable)
        .catch(() => {
          throw error;
        });
    }
  }
}
