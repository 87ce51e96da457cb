import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { Entity } from '@backstage/catalog-model';
import { Knex } from 'knex';
import { systemClock } from '../services/clock';
import { DeployAuditLog } from '../services/deploy/DeployAuditLog';
import { DeployPlanner } from '../services/deploy/DeployPlanner';
import { DeployService } from '../services/deploy/DeployService';
import { DeployTargets } from '../services/deploy/DeployTargets';
import { ErrorBudgetGate } from '../services/deploy/ErrorBudgetGate';
import { KubernetesClusterConfig } from '../services/deploy/KubernetesClusterConfig';
import { RollupStore } from '../services/rollups/RollupStore';
import { SloEngine } from '../services/slo/SloEngine';
import { SloService } from '../services/slo/SloService';
import { TEST_ENTITIES, testPlatformCatalog } from './entities';

/** The cluster the test entities' shared cell and GPU deployment are placed on. */
export const TEST_CLUSTER = 'eks-eu-west-1-shared';

/**
 * A deploy driver over the test entities, with TEST_CLUSTER at `clusterUrl` authenticated by
 * `token`, and its audit log and error budgets in `knex` (migrated).
 */
export function createTestDeployService(options: {
  knex: Knex;
  clusterUrl: string;
  token: string;
  entities?: Entity[];
}) {
  const catalog = testPlatformCatalog(
    systemClock,
    options.entities ?? TEST_ENTITIES,
  );
  const rollups = new RollupStore(options.knex, {
    clock: systemClock,
    minuteRetentionDays: 7,
  });
  const service = new DeployService({
    targets: new DeployTargets(catalog),
    clusters: KubernetesClusterConfig.fromConfig(
      new ConfigReader({
        kubernetes: {
          clusterLocatorMethods: [
            {
              type: 'config',
              clusters: [
                {
                  name: TEST_CLUSTER,
                  url: options.clusterUrl,
                  authProvider: 'serviceAccount',
                  serviceAccountToken: options.token,
                },
              ],
            },
          ],
        },
      }),
    ),
    planner: new DeployPlanner(),
    gate: new ErrorBudgetGate(
      new SloService(catalog, new SloEngine(rollups, systemClock)),
    ),
    audit: new DeployAuditLog(options.knex, systemClock),
    logger: mockServices.logger.mock(),
    requestTimeoutMs: 10_000,
  });
  return { service, catalog };
}
