/** A batch the receiver refused for good (it will never accept it); it is set aside. */
export class PermanentDeliveryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentDeliveryError';
  }
}

/** Events of a batch the receiver refused for good; the rest of the batch was delivered. */
export class RefusedEventsError extends PermanentDeliveryError {
  constructor(message: string, readonly events: number) {
    super(message);
    this.name = 'RefusedEventsError';
  }
}

import type { EventBatch } from './EventBatch';

/**
 * Delivers one batch of events, already serialized as JSON; resolves when the receiver has it,
 * throws to have it retried.
 */
export interface EventTransport {
  readonly name: string;
  send(batch: EventBatch): Promise<void>;
  /**
   * Gives up the send in flight, for a stop that must not wait on a receiver that does not
   * answer: its segment stays for the next start (event ids make a second delivery harmless).
   */
  abort?(): void;
  close(): Promise<void>;
}
