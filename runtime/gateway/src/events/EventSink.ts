import type { PlatformEvent } from '@cellport/plugin-platform-common';

/**
 * Where the request path hands its events. `publish` must return at once and never throw:
 * delivery happens in the background and never slows or fails a request.
 */
export interface EventSink {
  publish(events: PlatformEvent[]): void;
  /** Persists what is still in memory and stops; called on graceful shutdown. */
  close(): Promise<void>;
}

/** Drops events; used when GATEWAY_EVENTS=off. */
export class DiscardingEventSink implements EventSink {
  publish(): void {}
  async close(): Promise<void> {}
}
