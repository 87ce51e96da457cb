import { Knex } from 'knex';

const TABLE = 'platform_budget_notifications';

/** A budget threshold crossed in a month, by a tenant (tokens and GPUs) or an agent (tokens). */
export interface BudgetThreshold {
  subjectKind: 'tenant' | 'agent';
  subject: string;
  /** `YYYY-MM`, UTC. */
  period: string;
  thresholdPercent: number;
  usedFraction: number;
}

/**
 * Which budget thresholds have been announced. Claiming one is an insert that only the first
 * caller wins, so two portal replicas checking at once announce it once between them.
 */
export class BudgetAnnouncements {
  constructor(private readonly db: Knex) {}

  /** True when this call is the first to claim the threshold for its month. */
  async claim(threshold: BudgetThreshold, now: number): Promise<boolean> {
    const inserted = await this.db(TABLE)
      .insert({
        subject_kind: threshold.subjectKind,
        subject: threshold.subject,
        period: threshold.period,
        threshold_percent: threshold.thresholdPercent,
        used_fraction: threshold.usedFraction,
        announced_at: now,
      })
      .onConflict(['subject_kind', 'subject', 'period', 'threshold_percent'])
      .ignore()
      .returning('subject');
    return inserted.length > 0;
  }

  /** Gives claims back, when the announcement could not be sent. */
  async release(thresholds: BudgetThreshold[]): Promise<void> {
    for (const t of thresholds) {
      await this.db(TABLE)
        .where({
          subject_kind: t.subjectKind,
          subject: t.subject,
          period: t.period,
          threshold_percent: t.thresholdPercent,
        })
        .delete();
    }
  }
}
