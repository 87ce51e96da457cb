import { LoggerService } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import {
  AckPolicy,
  connect,
  ConsumerMessages,
  DeliverPolicy,
  JetStreamManager,
  JsMsg,
  NatsConnection,
  RetentionPolicy,
  StorageType,
} from 'nats';
import { readPlatformSettings } from '../../config/platformSettings';
import { IngestService } from './IngestService';
import { parseEventBatch } from './parseEventBatch';

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

/**
 * The production event transport: a durable JetStream pull consumer feeding the same ingest
 * path as HTTP. A message (one event batch, as posted to /events) is acked only after its
 * transaction commits; if the write fails it is nak'ed and redelivered later, and because
 * ingest is idempotent on event ids a redelivery never counts twice. Events of a batch that
 * break the contract are dropped and logged, the rest stored; a message that is no batch (or
 * has no valid event) can never succeed, so it is terminated (and logged), not retried forever.
 */
export class NatsIngestConsumer {
  private connection?: NatsConnection;
  private messages?: ConsumerMessages;
  private loop?: Promise<void>;

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
      });
    } catch (error) {
      throw new Error(
        `Cannot reach NATS at ${this.options.servers.join(', ')}: ${
          (error as Error).message
        }`,
      );
    }
    const manager = await this.connection.jetstreamManager();
    await this.ensureStream(manager);
    await this.ensureConsumer(manager);
    const consumer = await this.connection
      .jetstream()
      .consumers.get(this.options.stream, this.options.durable);
    this.messages = await consumer.consume({
      max_messages: this.options.batchSize,
    });
    this.loop = this.run(this.messages);
  }

  async stop(): Promise<void> {
    this.messages?.stop();
    await this.loop;
    await this.connection?.drain();
  }

  private async run(messages: ConsumerMessages) {
    for await (const message of messages) {
      await this.handle(message);
    }
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
      const { events, rejections } = parseEventBatch(body);
      await this.ingest.ingest(events);
      message.ack();
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
    } catch {
      await manager.streams.add({
        name: this.options.stream,
        subjects: this.options.subjects,
        retention: RetentionPolicy.Limits,
        storage: StorageType.File,
        // As the gateway creates it: redelivered batches inside 10 minutes are dropped.
        duplicate_window: 10 * 60 * 1e9,
      });
    }
  }

  private async ensureConsumer(manager: JetStreamManager) {
    try {
      await manager.consumers.info(this.options.stream, this.options.durable);
    } catch {
      await manager.consumers.add(this.options.stream, {
        durable_name: this.options.durable,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        ack_wait: 30_000_000_000,
      });
    }
  }
}
