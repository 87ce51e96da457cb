import { LoggerService, SchedulerService } from '@backstage/backend-plugin-api';
import { PlatformSettings } from './config/platformSettings';
import { GpuReplicaSampler } from './services/cost/GpuReplicaSampler';
import { ApiKeyRevealStore } from './services/keys/ApiKeyRevealStore';
import { ApiKeyStore } from './services/keys/ApiKeyStore';
import { BudgetNotifier } from './services/notifications/BudgetNotifier';
import { ReconcilerService } from './services/reconciler/ReconcilerService';
import { RetentionPurge } from './services/retention/RetentionPurge';

/**
 * The plugin's scheduled work, shared between replicas by Backstage's scheduler: pushing the
 * catalog to the gateways, purging expired records, sampling GPU pods (only with clusters to
 * read), and announcing budget thresholds.
 */
export async function schedulePlatformTasks(
  scheduler: SchedulerService,
  settings: PlatformSettings,
  work: {
    reconciler: ReconcilerService;
    purge: RetentionPurge;
    apiKeyReveals: ApiKeyRevealStore;
    apiKeys: ApiKeyStore;
    gpuSampler: GpuReplicaSampler;
    budgets: BudgetNotifier;
    logger: LoggerService;
  },
): Promise<void> {
  if (settings.reconciler.enabled) {
    await scheduler.scheduleTask({
      id: 'platform-reconcile-gateways',
      frequency: { seconds: settings.reconciler.intervalSeconds },
      timeout: { minutes: 5 },
      initialDelay: { seconds: 10 },
      fn: () => work.reconciler.reconcileAll(),
    });
  }
  await scheduler.scheduleTask({
    id: 'platform-retention-purge',
    frequency: { minutes: settings.retention.purgeIntervalMinutes },
    timeout: { minutes: 30 },
    initialDelay: { minutes: 1 },
    fn: async () => {
      const purged = await work.purge.purge();
      const expiredKeyReveals = await work.apiKeyReveals.purgeExpired();
      const expiredMintedKeys = await work.apiKeys.purgeExpired();
      work.logger.info(
        `Retention purge: ${JSON.stringify({
          ...purged,
          expiredKeyReveals,
          expiredMintedKeys,
        })}`,
      );
    },
  });
  await scheduler.scheduleTask({
    id: 'platform-gpu-replica-sampling',
    frequency: { minutes: settings.cost.gpuSampling.intervalMinutes },
    timeout: { minutes: 5 },
    initialDelay: { seconds: 30 },
    fn: async () => {
      await work.gpuSampler.sample();
    },
  });
  await scheduler.scheduleTask({
    id: 'platform-budget-notifications',
    frequency: { minutes: 15 },
    timeout: { minutes: 10 },
    initialDelay: { minutes: 2 },
    fn: async () => {
      await work.budgets.check();
    },
  });
}
