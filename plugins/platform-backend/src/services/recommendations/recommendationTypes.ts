import type { CandidateChange, ExcludedProfile } from './candidateChanges';

/** What a recommendation list covers: a cell's agents or a tenant's, over the last days. */
export interface RecommendationRequest {
  cell?: string;
  tenant?: string;
  /** Days of stored decisions replayed, ending now. */
  days: number;
}

/** The replay behind a recommendation, as evidence. */
export interface RecommendationEvidence {
  from: string;
  to: string;
  decisionsReplayed: number;
  /** What the requests cost as recorded. */
  recordedUsd: number;
  /** The same requests replayed under the catalog's state now. */
  currentUsd: number;
  /** Replayed under the proposed change. */
  proposedUsd: number;
  /**
   * The requests both the current state and the change serve (with usage), and what they cost
   * under each: the saving is `currentUsd - proposedUsd` here, never what a refusal saves.
   */
  bothServe: { decisions: number; currentUsd: number; proposedUsd: number };
  /** Requests whose usage had not arrived: in neither sum. */
  withoutUsage: number;
  /** The replay stopped at its limit; the saving is scaled from the time it covered. */
  truncated: boolean;
  /** Days the saving was measured over, and the factor that scales it to 30 days. */
  measuredDays: number;
  monthlyFactor: number;
}

export interface RecommendationRisk {
  level: 'low' | 'medium' | 'high';
  /** Requests the current state serves that the change would refuse, counted request by request. */
  newRefusals: number;
  /** Requests the current state refuses that the change would serve (their cost is not in the saving). */
  newlyServed: number;
  refusals: Array<{ code: string; count: number; example: string }>;
  /** Requests per quality tier, under the current state and under the change. */
  qualityTiers: {
    current: Record<string, number>;
    proposed: Record<string, number>;
  };
  /** Requests served from a lower quality tier than under the current state (at least). */
  lowerTier: number;
  /** Requests the change routes elsewhere than what happened, and a few to open. */
  changedRoutes: number;
  sampleDecisionIds: string[];
  latency: { currentMeanMs?: number; proposedMeanMs?: number };
  /** Risks in words, for the card. */
  notes: string[];
}

export interface Recommendation {
  rank: number;
  agent: string;
  tenant: string;
  cell: string;
  change: CandidateChange;
  savingUsd: number;
  monthlySavingUsd: number;
  evidence: RecommendationEvidence;
  risk: RecommendationRisk;
}

/** A candidate replayed but not recommended, and why. */
export interface SkippedCandidate {
  agent: string;
  change: string;
  reason: string;
}

export interface RecommendationResult {
  scope: { cell?: string; tenant?: string; from: string; to: string };
  recommendations: Recommendation[];
  skipped: SkippedCandidate[];
  excludedProfiles: ExcludedProfile[];
  /** Agents with no decisions in the range: nothing to replay. */
  agentsWithoutDecisions: string[];
  /** The work bound was reached: these agents were not evaluated. */
  agentsNotEvaluated: string[];
  replays: number;
  /** How savings are measured and scaled, the quality floor, what replays cannot know. */
  notes: string[];
  caveats: string[];
  elapsedMs: number;
}
