import type { GatewayModelProfile } from '@cellport/plugin-platform-common';
import type { Reservation } from '../limits/Limiter';
import type { TokenUsage } from '../providers/types';
import { chargedUsage } from './chargedUsage';
import type { EndpointAdapter } from './EndpointAdapter';
import type { RequestLifecycle } from './RequestLifecycle';

/** One request on its way upstream, with its reservation until it is settled. */
export class Exchange<Request> {
  /** Set once the reservation is settled to the actual cost; else it is released. */
  settled = false;

  constructor(
    private readonly endpoint: EndpointAdapter<Request>,
    readonly life: RequestLifecycle,
    /** The caller's body, parsed, untouched: what goes upstream. */
    readonly body: Record<string, unknown>,
    /** What the endpoint read from the body. */
    readonly request: Request,
    readonly cacheKey: string | undefined,
    readonly reservation: Reservation,
  ) {}

  /** The tokens an answer from `profile` is charged (`chargedUsage`): what it reports too. */
  charged(
    profile: GatewayModelProfile,
    reported: TokenUsage | undefined,
    generatedText: () => string,
    promptCounted?: number,
  ): TokenUsage {
    return chargedUsage(
      this.endpoint,
      this,
      profile,
      reported,
      generatedText,
      promptCounted,
    ).usage;
  }
}
