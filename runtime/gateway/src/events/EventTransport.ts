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
  close(): Promise<void>;
}
