import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { SloReport } from '@cellport/plugin-platform-common';
import {
  PlatformCatalog,
  PlatformSloReader,
  systemClock,
} from '@cellport/plugin-platform-node';
import { TEST_ENTITIES } from '@cellport/plugin-platform-node-test-utils';
import { Knex } from 'knex';
import { DeployService } from '../apply/DeployService';
import { DeployAuditLog } from '../audit/DeployAuditLog';
import { KubernetesClusterConfig } from '../cluster/KubernetesClusterConfig';
import { ErrorBudgetGate } from '../gate/ErrorBudgetGate';
import { DeployPlanner } from '../plan/DeployPlanner';
import { DeployTargets } from '../plan/DeployTargets';

/** The cluster the test entities' shared cell and GPU deployment are placed on. */
export const TEST_CLUSTER = 'eks-eu-west-1-shared';

/** App-config naming the test cluster (`TEST_CLUSTER`) at `url`, reached with `token`. */
export function testClusterConfig(url: string, token: string) {
  return {
    kubernetes: {
      clusterLocatorMethods: [
        {
          type: 'config',
          clusters: [
            {
              name: TEST_CLUSTER,
              url,
              authProvider: 'serviceAccount',
              serviceAccountToken: token,
            },
          ],
        },
      ],
    },
  };
}

/**
 * What the platform backend's `GET /slos?cell=` answers for a cell whose gateway availability
 * objective (99.9%) has `remainingFraction` of its budget left, from `good` of `total` requests.
 * The router test reads the real answer from the platform backend; this one stands in for it
 * where only the driver is under test.
 */
export function cellSloReport(
  cell: string,
  traffic: { total: number; good: number },
): SloReport {
  const allowed = traffic.total * 0.001;
  const consumed = traffic.total - traffic.good;
  const remainingFraction = traffic.total === 0 ? 1 : 1 - consumed / allowed;
  return {
    scope: { kind: 'cell', name: cell },
    objectives: [
      {
        objective: {
          name: 'gateway-availability',
          indicator: 'availability',
          target: 0.999,
          window: '28d',
        },
        source: 'default',
        totalEvents: traffic.total,
        goodEvents: traffic.good,
        sli: traffic.total === 0 ? null : traffic.good / traffic.total,
        errorBudget: {
          allowedBadEvents: allowed,
          consumedBadEvents: consumed,
          consumedFraction: 1 - remainingFraction,
          remainingFraction,
        },
        burnRates: { '5m': 0, '30m': 0, '1h': 0, '6h': 0, '3d': 0 },
        alerts: [],
        alertState: 'ok',
        state: remainingFraction <= 0 ? 'exhausted' : 'ok',
      },
    ],
  };
}

/** SLO reports the test sets per cell; a cell without one has had no traffic. */
export class TestSloReports implements PlatformSloReader {
  private readonly traffic = new Map<string, { total: number; good: number }>();

  set(cell: string, traffic: { total: number; good: number }): void {
    this.traffic.set(cell, traffic);
  }

  async cellReport(cell: string): Promise<SloReport> {
    return cellSloReport(cell, this.traffic.get(cell) ?? { total: 0, good: 0 });
  }
}

/**
 * A deploy driver over the test entities, with TEST_CLUSTER at `clusterUrl` authenticated by
 * `token`, its audit log in `knex` (migrated) and its error budgets from `slos`.
 */
export function createTestDeployService(options: {
  knex: Knex;
  clusterUrl: string;
  token: string;
  entities?: Entity[];
  slos?: PlatformSloReader;
}) {
  const catalog = new PlatformCatalog(
    catalogServiceMock({ entities: options.entities ?? TEST_ENTITIES }),
    mockServices.auth(),
    mockServices.logger.mock(),
    systemClock,
  );
  const service = new DeployService({
    targets: new DeployTargets(catalog),
    clusters: KubernetesClusterConfig.fromConfig(
      new ConfigReader(testClusterConfig(options.clusterUrl, options.token)),
    ),
    planner: new DeployPlanner(),
    gate: new ErrorBudgetGate(options.slos ?? new TestSloReports()),
    audit: new DeployAuditLog(options.knex, systemClock),
    logger: mockServices.logger.mock(),
    requestTimeoutMs: 10_000,
  });
  return { service, catalog };
}
