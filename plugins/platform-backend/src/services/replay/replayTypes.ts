import type { RoutingCandidate } from '@cellport/plugin-platform-common';
import type { MissingFeature, RefusalReason } from '@cellport/router';
import type { ProposedChange } from './ProposedChange';

/**
 * Why a replay of the unchanged state does not reproduce a recorded route:
 * - `features-missing`: recorded before features were; the replay assumed some;
 * - `breaker`: an upstream's circuit was open at the time (a moment, not the state);
 * - `state-changed`: decided under another state version than the catalog's now;
 * - `budget`: the budget left or a per-run cap decided it at the time;
 * - `latency-or-load`: upstream latency or load at the time ranked the candidates otherwise;
 * - `unroutable`: its tenant or agent is no longer in the cell's state.
 */
export type DifferenceCause =
  | 'features-missing'
  | 'breaker'
  | 'state-changed'
  | 'budget'
  | 'latency-or-load'
  | 'unroutable';

/** What a replay asks: a cell or one of its agents, a time range, a proposed change. */
export interface ReplayRequest {
  cell?: string;
  agent?: string;
  /** ISO 8601 times, `[from, to)`. */
  from: string;
  to: string;
  change?: unknown;
}

export interface ReplayProgress {
  decisions: number;
  /** The newest decision time read so far, ISO 8601. */
  through?: string;
}

/** A decision whose route the replay changes, for the side-by-side view. */
export interface ChangedRoute {
  decisionId: string;
  timestamp: string;
  tenant: string;
  agent?: string;
  /** The profile ranked first when it happened; absent when it was refused. */
  recorded?: string;
  /** The profile ranked first in the replay; absent when the replay refuses it. */
  proposed?: string;
  refusal?: { reason: RefusalReason; code: string; message: string };
  recordedCostUsd?: number;
  proposedCostUsd?: number;
  /** The replay's candidates with their reasons, as the decision drawer shows them. */
  proposedCandidates: RoutingCandidate[];
  /** `change`: moved by the proposal; otherwise why it differs even without it. */
  cause: 'change' | DifferenceCause;
  /** Features the decision did not record, assumed by the replay. */
  missingFeatures?: MissingFeature[];
}

export interface AgentCost {
  agent: string;
  decisions: number;
  recordedUsd: number;
  proposedUsd: number;
  deltaUsd: number;
}

export interface ProfileLatency {
  modelProfile: string;
  requests: number;
  meanUpstreamMs: number;
}

/**
 * Each decision's route under the current state against its route under the change, compared
 * request by request (asked for with `ReplayRunOptions.paired`). "Serves": the router routes
 * the request to a profile; otherwise it refuses it.
 */
export interface ReplayPairs {
  /** Requests the current state serves. */
  currentServes: number;
  /** Of those, the requests the change refuses. */
  newRefusals: number;
  /** Requests the current state refuses that the change serves. */
  newlyServed: number;
  /** What those cost under the change (those whose usage arrived). */
  newlyServedUsd: number;
  /** Requests both serve whose usage arrived, and what they cost under each. */
  bothServe: { decisions: number; currentUsd: number; proposedUsd: number };
}

export interface ReplayResult {
  scope: { cell: string; agent?: string; from: string; to: string };
  change: ProposedChange;
  stateVersions: { current: string; proposed: string };
  decisions: {
    read: number;
    replayed: number;
    /** Rejected before routing (rate limit, bad request): nothing to replay. */
    notRouted: number;
    /** Stopped at the per-request limit: the range had more. */
    truncated: boolean;
    featuresMissing: {
      decisions: number;
      byFeature: Partial<Record<MissingFeature, number>>;
    };
  };
  cost: {
    /** What the requests cost as recorded. */
    recordedUsd: number;
    /** The recorded token counts at the proposed route's proposed prices. */
    proposedUsd: number;
    deltaUsd: number;
    /** Decisions whose usage had not arrived: left out of both sums. */
    withoutUsage: number;
    byAgent: AgentCost[];
  };
  qualityTiers: {
    recorded: Record<string, number>;
    proposed: Record<string, number>;
  };
  refusals: {
    recorded: Array<{ errorClass: string; count: number }>;
    proposed: Array<{
      reason: RefusalReason | 'unroutable';
      code: string;
      count: number;
      example: string;
    }>;
  };
  changedRoutes: {
    count: number;
    /** Of those, how many the proposal moved, and how many differ even without it. */
    byChange: number;
    regardless: number;
    sample: ChangedRoute[];
  };
  latency: {
    observed: ProfileLatency[];
    /** Mean observed upstream latency of the routes taken, and of the replayed ones. */
    recordedMeanMs?: number;
    proposedMeanMs?: number;
    /** Replayed routes to profiles with no observed latency in the range. */
    unobservedRoutes: number;
  };
  /** Present when the change is empty: how far the replay reproduces what happened. */
  determinism?: {
    compared: number;
    reproduced: number;
    share: number;
    byCause: Partial<Record<DifferenceCause, number>>;
    sample: ChangedRoute[];
  };
  /** Present when asked for (`ReplayRunOptions.paired`). */
  paired?: ReplayPairs;
  caveats: string[];
  /** What the reconciler had to leave out of the proposed state. */
  warnings: string[];
  elapsedMs: number;
}
