import { mockServices } from '@backstage/backend-test-utils';
import { PlatformDeployReader } from '@cellport/plugin-platform-node';
import { applyDatabaseMigrations } from '../../database/migrations';
import { firstApplies } from './firstApplies';
import { createTestDatabases } from '@cellport/plugin-platform-node-test-utils';

const LLAMA = 'inferencedeployment:default/llama-3-1-70b-eu';
const QWEN = 'inferencedeployment:default/qwen2-5-32b-eu';

/** The deploy driver's answers, or its failure, as the HTTP reader gives them. */
function driver(answer: Map<string, number> | Error): PlatformDeployReader {
  return {
    status: async () => {
      throw new Error('not used');
    },
    firstApplied: async () => {
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
}

describe('firstApplies', () => {
  const databases = createTestDatabases();

  it.each(databases.eachSupportedId())(
    "takes the earlier of the driver's log and the rows written here before it moved, and keeps the rows when the driver fails, on %p",
    async databaseId => {
      const db = await databases.init(databaseId);
      await applyDatabaseMigrations(db);
      // Written by the driver while it was part of this plugin; one failed, one succeeded.
      const legacy = (entityRef: string, at: number, result: string) => ({
        at,
        actor: 'user:default/ops',
        entity_ref: entityRef,
        cluster: 'eks-eu-west-1-shared',
        result,
        error_budgets: '[]',
        counts: '{}',
        objects: '[]',
      });
      await db('platform_deploy_audit').insert([
        legacy('InferenceDeployment:default/llama-3-1-70b-eu', 1_000, 'failed'),
        legacy(
          'InferenceDeployment:default/llama-3-1-70b-eu',
          2_000,
          'applied',
        ),
      ]);
      const logger = mockServices.logger.mock();

      const both = firstApplies({
        db,
        deploy: driver(
          new Map([
            [LLAMA, 5_000],
            [QWEN, 3_000],
          ]),
        ),
        logger,
      });
      expect(await both([LLAMA, QWEN])).toEqual(
        new Map([
          [LLAMA, 2_000],
          [QWEN, 3_000],
        ]),
      );
      expect(logger.warn).not.toHaveBeenCalled();

      const driverDown = firstApplies({
        db,
        deploy: driver(
          new Error('Request failed with 503 Service Unavailable'),
        ),
        logger,
      });
      expect(await driverDown([LLAMA, QWEN])).toEqual(
        new Map([[LLAMA, 2_000]]),
      );
      expect(logger.warn).toHaveBeenCalledWith(
        expect.stringMatching(/could not be read: Request failed with 503/),
      );

      // What the driver said before still holds while it does not answer.
      let down = false;
      const flaky = firstApplies({
        db,
        deploy: {
          status: async () => {
            throw new Error('not used');
          },
          firstApplied: async () => {
            if (down)
              throw new Error('The operation was aborted due to timeout');
            return new Map([[QWEN, 3_000]]);
          },
        },
        logger,
      });
      expect(await flaky([QWEN])).toEqual(new Map([[QWEN, 3_000]]));
      down = true;
      expect(await flaky([LLAMA, QWEN])).toEqual(
        new Map([
          [LLAMA, 2_000],
          [QWEN, 3_000],
        ]),
      );
    },
  );
});
