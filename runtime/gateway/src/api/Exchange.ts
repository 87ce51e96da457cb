import type { Reservation } from '../limits/Limiter';
import type { RequestLifecycle } from './RequestLifecycle';

/** One request on its way upstream, with its reservation until it is settled. */
export class Exchange<Request> {
  /** Set once the reservation is settled to the actual cost; else it is released. */
  settled = false;

  constructor(
    readonly life: RequestLifecycle,
    /** The caller's body, parsed, untouched: what goes upstream. */
    readonly body: Record<string, unknown>,
    /** What the endpoint read from the body. */
    readonly request: Request,
    readonly cacheKey: string | undefined,
    readonly reservation: Reservation,
  ) {}
}
