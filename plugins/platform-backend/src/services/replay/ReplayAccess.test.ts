import {
  TEST_ENTITIES,
  testPlatformCatalog,
} from '../../__testUtils__/entities';
import { ReplayAccess } from './ReplayAccess';
import type { ReplayJobView } from './ReplayJobs';
import type { ReplayResult } from './replayTypes';
import { createTestDatabases } from '@cellport/plugin-platform-node-test-utils';

describe('ReplayAccess.redact', () => {
  const databases = createTestDatabases();

  it('keeps from a restricted caller the cell-wide warnings that name another tenant or a key', async () => {
    const knex = await databases.init('SQLITE_3');
    const access = new ReplayAccess(knex, testPlatformCatalog());
    expect(TEST_ENTITIES.some(e => e.metadata.name === 'brightpath-edu')).toBe(
      true,
    );
    const warnings = [
      'agent "homework-helper": the cell does not host its tenant "brightpath-edu"',
      'API key cpk_nw01… of tenant "northwind-retail" is bound to agent "x", which is gone',
      'model profile "gpt-5" is not in the catalog',
      'agent "checkout-assistant": the cell does not host its tenant "northwind-retail"',
    ];
    const job = {
      id: 'j',
      state: 'done',
      result: { warnings } as ReplayResult,
    } as ReplayJobView;

    const northwind = await access.redact(
      { all: false, tenants: ['northwind-retail'] },
      job,
    );
    expect(northwind.result!.warnings).toEqual([warnings[2], warnings[3]]);
    const everyone = await access.redact({ all: true }, job);
    expect(everyone.result!.warnings).toEqual(warnings);
  });
});
