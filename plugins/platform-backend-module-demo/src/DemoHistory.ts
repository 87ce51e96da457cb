import { LoggerService, SchedulerService } from '@backstage/backend-plugin-api';
import { ServiceUnavailableError } from '@backstage/errors';
import {
  PlatformHistoryConnection,
  PlatformHistorySource,
} from '@cellport/plugin-platform-node';
import { BackfillResult, DemoBackfill } from './DemoBackfill';
import { DemoGpuHistory } from './DemoGpuHistory';

/**
 * The demo's history in the platform's stores: generated on request (`POST /demo/backfill`)
 * and, when configured, once at startup, with the GPU pods the demo's deployments would have
 * run, so cost rests on "observed pods" as it would in production.
 */
export class DemoHistory implements PlatformHistorySource {
  private platform?: PlatformHistoryConnection;

  constructor(
    private readonly options: {
      scheduler: SchedulerService;
      logger: LoggerService;
      /** Days generated at startup when the platform holds no demo history; 0 for none. */
      backfillDaysOnStart: number;
      now?: () => number;
    },
  ) {}

  async connect(platform: PlatformHistoryConnection): Promise<void> {
    this.platform = platform;
    const days = this.options.backfillDaysOnStart;
    if (days <= 0) return;
    await this.options.scheduler.scheduleTask({
      id: 'platform-demo-backfill',
      // Retried until the catalog has agents and the history exists; then a no-op. Live
      // traffic starts at once, so only demo history counts as existing.
      frequency: { minutes: 10 },
      timeout: { minutes: 10 },
      initialDelay: { seconds: 30 },
      fn: async () => {
        if (await platform.hasDemoEvents()) return;
        await this.backfill(days);
        await new DemoGpuHistory(platform, this.now).record(days);
      },
    });
  }

  /** Generates `days` of history ending at the current hour; stores nothing twice. */
  async backfill(days: number): Promise<BackfillResult> {
    if (!this.platform) {
      throw new ServiceUnavailableError(
        'The platform plugin has not started its stores yet',
      );
    }
    return new DemoBackfill(
      this.platform,
      this.now,
      this.options.logger,
    ).backfill(days);
  }

  private readonly now = () => (this.options.now ?? Date.now)();
}
