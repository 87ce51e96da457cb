import { GatewayDesiredState } from '@cellport/plugin-platform-common';
import { GatewayClient } from '../services/reconciler/GatewayClient';

/** A gateway client whose first push waits until released: a pass caught mid-push. */
export class HeldFirstPush extends GatewayClient {
  release!: () => void;
  private readonly held = new Promise<void>(resolve => {
    this.release = resolve;
  });
  /** Resolves when the first push has begun (and waits). */
  readonly pushing: Promise<void>;
  private started!: () => void;
  private first = true;

  constructor() {
    super(2000);
    this.pushing = new Promise(resolve => {
      this.started = resolve;
    });
  }

  async push(baseUrl: string, token: string, state: GatewayDesiredState) {
    if (this.first) {
      this.first = false;
      this.started();
      await this.held;
    }
    return super.push(baseUrl, token, state);
  }
}
