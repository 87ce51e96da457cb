import type { PlatformEvent } from '@cellport/plugin-platform-common';

/**
 * Where the request path hands its events. `publish` must return at once and never throw:
 * delivery happens in the background and never slows or fails a request. `written` is called
 * once the events are stored as the sink promises (in the spool's file, for the spooled sink),
 * at the latest at the end of the current turn of the event loop: the request's response ends
 * only then. `alone`: no other API request is being served (`InFlightRequests`), so none can
 * end in this turn and share its write; the sink stores the events at once rather than wait
 * for the turn's end. A hint for speed only: either way the events are stored first.
 */
export interface EventSink {
  publish(events: PlatformEvent[], written: () => void, alone?: boolean): void;
  /** Persists what is still in memory and stops; called on graceful shutdown. */
  close(): Promise<void>;
}

/** Drops events; used when GATEWAY_EVENTS=off. */
export class DiscardingEventSink implements EventSink {
  publish(_events: PlatformEvent[], written: () => void): void {
    written();
  }
  async close(): Promise<void> {}
}
