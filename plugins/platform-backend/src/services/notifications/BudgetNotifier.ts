import { LoggerService } from '@backstage/backend-plugin-api';
import { NotificationService } from '@backstage/plugin-notifications-node';
import { CostEngine } from '../cost/CostEngine';
import { BudgetAnnouncements, BudgetThreshold } from './BudgetAnnouncements';
import { ownerRef } from './ownerGroup';
import { Clock, PlatformCatalog } from '@cellport/plugin-platform-node';

/** Shares of a monthly budget the owner hears of, highest first. */
const THRESHOLDS = [1, 0.8];

function usd(value: number): string {
  return `$${value.toFixed(2)}`;
}

/**
 * Tells owners when a tenant's month-to-date spend (tokens and its GPU share) or an agent's
 * (tokens) crosses 80% and 100% of its monthly budget: one notification per threshold per
 * month, to the tenant's owning group (an agent's budget goes to its tenant's owner).
 */
export class BudgetNotifier {
  constructor(
    private readonly deps: {
      cost: Pick<CostEngine, 'tenantBudget'>;
      catalog: PlatformCatalog;
      announcements: BudgetAnnouncements;
      notifications: NotificationService;
      clock: Clock;
      logger: LoggerService;
    },
  ) {}

  /** One pass over every tenant; returns the thresholds announced by this pass. */
  async check(): Promise<BudgetThreshold[]> {
    const { catalog, cost } = this.deps;
    const announced: BudgetThreshold[] = [];
    const { tenants } = await catalog.entities({ fresh: true });
    for (const tenant of tenants) {
      const report = await cost.tenantBudget(tenant.metadata.name);
      const owner = ownerRef(tenant.spec.owner);
      const link = `/catalog/default/tenant/${tenant.metadata.name}/dashboard`;
      const subjects = [
        {
          subjectKind: 'tenant' as const,
          subject: tenant.metadata.name,
          spent: report.monthToDateUsd,
          budget: report.budgetUsd,
          what: `Tenant ${tenant.metadata.name} (LLM tokens and GPUs)`,
        },
        ...report.agents
          .filter(a => a.monthlyBudgetUsd)
          .map(a => ({
            subjectKind: 'agent' as const,
            subject: a.agent,
            spent: a.monthToDateUsd,
            budget: a.monthlyBudgetUsd!,
            what: `Agent ${a.agent} of ${tenant.metadata.name} (LLM tokens)`,
          })),
      ];
      for (const subject of subjects) {
        const threshold = await this.announce(
          subject,
          report.month,
          owner,
          link,
        );
        if (threshold) announced.push(threshold);
      }
    }
    return announced;
  }

  /** Claims every threshold crossed this month; notifies once, for the highest one new. */
  private async announce(
    subject: {
      subjectKind: 'tenant' | 'agent';
      subject: string;
      spent: number;
      budget: number;
      what: string;
    },
    period: string,
    owner: string,
    link: string,
  ): Promise<BudgetThreshold | undefined> {
    const usedFraction = subject.spent / subject.budget;
    const claimed: BudgetThreshold[] = [];
    for (const share of THRESHOLDS.filter(t => usedFraction >= t)) {
      const threshold: BudgetThreshold = {
        subjectKind: subject.subjectKind,
        subject: subject.subject,
        period,
        thresholdPercent: Math.round(share * 100),
        usedFraction,
      };
      if (await this.deps.announcements.claim(threshold, this.deps.clock.now()))
        claimed.push(threshold);
    }
    const first = claimed[0];
    if (!first) return undefined;
    const percent = first.thresholdPercent;
    try {
      await this.deps.notifications.send({
        recipients: { type: 'entity', entityRef: owner },
        payload: {
          title: `${subject.what} ${
            percent >= 100 ? 'is over' : `has used ${percent}% of`
          } its monthly budget`,
          description: `${usd(subject.spent)} of ${usd(
            subject.budget,
          )} spent in ${period} (${(usedFraction * 100).toFixed(1)}%).`,
          link,
          severity: percent >= 100 ? 'high' : 'normal',
          topic: 'Budgets',
          scope: `cellport-budget:${subject.subjectKind}:${subject.subject}:${period}:${percent}`,
        },
      });
    } catch (error) {
      // Unclaimed, the next pass tries again.
      await this.deps.announcements.release(claimed);
      this.deps.logger.warn(
        `Could not notify ${owner} of ${subject.what} at ${percent}%: ${error}`,
      );
      return undefined;
    }
    return first;
  }
}
