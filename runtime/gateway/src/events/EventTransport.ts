/** A batch the receiver refused for good (it will never accept it); it is set aside. */
export class PermanentDeliveryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentDeliveryError';
  }
}

/**
 * Delivers one batch of events, each already serialized as JSON; resolves when the receiver
 * has it, throws to have it retried.
 */
export interface EventTransport {
  readonly name: string;
  send(events: string[]): Promise<void>;
  close(): Promise<void>;
}
