import type { Logger } from 'pino';
import type { GatewayConfig } from '../config/GatewayConfig';
import type { GatewayMetrics } from '../metrics/GatewayMetrics';
import { DiskSpool } from './DiskSpool';
import type { EventSink } from './EventSink';
import { HttpBatchTransport } from './HttpBatchTransport';
import { NatsTransport } from './NatsTransport';
import { SpooledEventDelivery } from './SpooledEventDelivery';

/** The event sink the config asks for: HTTP batches (default) or NATS JetStream, both spooled. */
export async function createEventSink(
  config: GatewayConfig,
  logger: Logger,
  metrics: GatewayMetrics,
): Promise<EventSink> {
  const { events } = config;
  let transport;
  if (events.transport === 'nats') {
    if (!events.natsUrl) {
      throw new Error('GATEWAY_EVENTS=nats needs GATEWAY_NATS_URL');
    }
    transport = new NatsTransport(events.natsUrl);
  } else {
    if (!events.portalUrl) {
      throw new Error(
        'GATEWAY_EVENTS=http needs GATEWAY_EVENTS_URL (the portal base URL)',
      );
    }
    transport = new HttpBatchTransport(events.portalUrl, events.portalToken);
  }
  return new SpooledEventDelivery(
    new DiskSpool(events.spoolDir),
    transport,
    logger,
    {
      flushIntervalMs: events.flushIntervalMs,
      batchSize: 250,
      maxBackoffMs: 30_000,
      onDelivered: count => metrics.eventsDelivered.inc(count),
    },
  );
}
