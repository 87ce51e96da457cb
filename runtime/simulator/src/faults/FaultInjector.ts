import { z } from 'zod';
import { seededRandom } from '../generation/DeterministicText';

/**
 * A fault forced at run time through the admin API:
 * - `outage`: answer 503;
 * - `reset`: drop the connection without an answer (a connect-level failure);
 * - `rate-limit`: answer 429 with Retry-After;
 * - `error`: answer 500;
 * - `slow`: add `extraLatencyMs` before the first token;
 * - `cut`: start answering, then drop the connection halfway (a stream broken mid-way).
 */
export const faultSchema = z.object({
  mode: z.enum(['outage', 'reset', 'rate-limit', 'error', 'slow', 'cut']),
  /** The model it hits; all models when absent. */
  model: z.string().min(1).optional(),
  extraLatencyMs: z.int().nonnegative().max(600_000).default(0),
  retryAfterSeconds: z.int().nonnegative().max(3600).default(1),
  /** Requests it still hits; unlimited when absent. */
  remaining: z.int().positive().optional(),
});
export type Fault = z.infer<typeof faultSchema>;

/** What a request meets: no fault, or the fault to act out. */
export type FaultVerdict =
  | { kind: 'none'; extraLatencyMs: number; cut: boolean }
  | { kind: 'outage' | 'reset' | 'error' }
  | { kind: 'rate-limit'; retryAfterSeconds: number };

/** Holds the forced faults and draws the configured random errors. */
export class FaultInjector {
  private faults: Fault[] = [];
  private readonly random: () => number;

  constructor(seed: number) {
    this.random = seededRandom(seed);
  }

  list(): Fault[] {
    return this.faults.map(fault => ({ ...fault }));
  }

  add(fault: Fault): void {
    this.faults.push(fault);
  }

  replace(faults: Fault[]): void {
    this.faults = [...faults];
  }

  clear(): void {
    this.faults = [];
  }

  /** Decides the fate of one request to `model` whose configured error rate is `errorRate`. */
  decide(model: string, errorRate: number): FaultVerdict {
    let extraLatencyMs = 0;
    let cut = false;
    for (const fault of this.faults) {
      if (fault.model !== undefined && fault.model !== model) {
        continue;
      }
      this.consume(fault);
      if (fault.mode === 'slow') {
        extraLatencyMs += fault.extraLatencyMs;
        continue;
      }
      if (fault.mode === 'cut') {
        cut = true;
        continue;
      }
      if (fault.mode === 'rate-limit') {
        return {
          kind: 'rate-limit',
          retryAfterSeconds: fault.retryAfterSeconds,
        };
      }
      return { kind: fault.mode };
    }
    if (errorRate > 0 && this.random() < errorRate) {
      return { kind: 'error' };
    }
    return { kind: 'none', extraLatencyMs, cut };
  }

  private consume(fault: Fault): void {
    if (fault.remaining === undefined) {
      return;
    }
    fault.remaining -= 1;
    if (fault.remaining <= 0) {
      this.faults = this.faults.filter(other => other !== fault);
    }
  }
}
