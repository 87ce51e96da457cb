import type { ClaimOutcome, CounterClaim } from './WindowedLimiter';

/** One tenant's requests of a tick, in arrival order: each request's counters. */
export interface TenantClaims {
  tenant: string;
  requests: CounterClaim[][];
  /** Each request's reservation id, in the same order. */
  reservations: string[];
}

/**
 * Sends a tick's claims: one entry per group, in the same order, holding each request's
 * outcome, or the error that failed the whole group. Rejecting fails every group.
 */
export type SendClaims = (
  groups: TenantClaims[],
) => Promise<Array<ClaimOutcome[] | Error>>;

interface Waiting {
  resolve(outcome: ClaimOutcome): void;
  reject(error: unknown): void;
}

/**
 * Requests per group at most: a burst of one tenant becomes several groups, so that one
 * script never holds Redis for long.
 */
export const MAX_REQUESTS_PER_GROUP = 128;

/**
 * Gathers the claims that concurrent requests make in one turn of the event loop and sends
 * them together when the turn ends: one group per tenant (a tenant's counters share a Redis
 * Cluster hash slot, and a script may only touch one slot), checked in arrival order. Under
 * load a turn often reads several requests, and a shared counter store pays per command, not
 * per request. Waiting for the end of the turn (`setImmediate`) adds no round trip: the
 * command would have been written then anyway.
 */
export class ClaimBatches {
  private groups = new Map<
    string,
    { claims: TenantClaims; waiting: Waiting[] }[]
  >();
  private scheduled = false;

  constructor(private readonly send: SendClaims) {}

  /** Queues one request's claims for the end of this turn. */
  claim(
    tenant: string,
    claims: CounterClaim[],
    reservation: string,
  ): Promise<ClaimOutcome> {
    let groups = this.groups.get(tenant);
    if (!groups) {
      groups = [];
      this.groups.set(tenant, groups);
    }
    let group = groups[groups.length - 1];
    if (!group || group.waiting.length >= MAX_REQUESTS_PER_GROUP) {
      group = {
        claims: { tenant, requests: [], reservations: [] },
        waiting: [],
      };
      groups.push(group);
    }
    const { claims: tenantClaims, waiting } = group;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    return new Promise<ClaimOutcome>((resolve, reject) => {
      tenantClaims.requests.push(claims);
      tenantClaims.reservations.push(reservation);
      waiting.push({ resolve, reject });
    });
  }

  private flush(): void {
    this.scheduled = false;
    const groups = [...this.groups.values()].flat();
    this.groups = new Map();
    const failAll = (error: unknown) => {
      for (const { waiting } of groups) {
        for (const request of waiting) request.reject(error);
      }
    };
    let sent;
    try {
      sent = this.send(groups.map(group => group.claims));
    } catch (error) {
      failAll(error);
      return;
    }
    sent.then(results => {
      groups.forEach(({ waiting }, g) => {
        const result = results[g] ?? new Error('no answer for these claims');
        waiting.forEach((request, i) => {
          if (result instanceof Error) request.reject(result);
          else if (result[i] === undefined)
            request.reject(new Error('no answer for this claim'));
          else request.resolve(result[i]);
        });
      });
    }, failAll);
  }
}
