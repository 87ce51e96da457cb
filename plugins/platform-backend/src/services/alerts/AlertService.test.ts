import { mockServices } from '@backstage/backend-test-utils';
import { NotificationSendOptions } from '@backstage/plugin-notifications-node';
import { ManualClock, PlatformCatalog } from '@cellport/plugin-platform-node';
import { createTestDatabases } from '@cellport/plugin-platform-node-test-utils';
import { testPlatformCatalog } from '../../__testUtils__/entities';
import { applyDatabaseMigrations } from '../../database/migrations';
import { AlertNotifier } from '../notifications/AlertNotifier';
import { AlertService } from './AlertService';
import { AlertStore } from './AlertStore';

jest.setTimeout(60_000);

const T0 = Date.parse('2026-12-03T10:00:00Z');

const firing = {
  status: 'firing' as const,
  startsAt: new Date(T0).toISOString(),
  endsAt: '0001-01-01T00:00:00Z',
  fingerprint: 'a1b2c3d4e5f60718',
  annotations: { summary: 'AI Gateway burns its budget 14.4x too fast' },
  labels: {
    alertname: 'CellportSloFastBurn',
    cell: 'eu-west-shared-1',
    service: 'ai-gateway',
    slo: 'gateway-availability',
    severity: 'P0',
    owner: 'group:default/memory-team',
  },
};

describe('AlertService', () => {
  const databases = createTestDatabases();

  async function serviceWith(catalog: PlatformCatalog) {
    const knex = await databases.init('SQLITE_3');
    await applyDatabaseMigrations(knex);
    const sent: NotificationSendOptions[] = [];
    const logger = mockServices.logger.mock();
    const service = new AlertService(
      new AlertStore(knex, new ManualClock(T0 + 60_000)),
      catalog,
      new AlertNotifier({ send: async o => void sent.push(o) }, logger, {
        fallbackOwner: 'group:on-call',
      }),
      logger,
    );
    return { service, sent };
  }

  it('tells the labelled and fallback owners, and answers, when the catalog cannot be read', async () => {
    const catalog = testPlatformCatalog();
    jest
      .spyOn(catalog, 'entities')
      .mockRejectedValue(new Error('connect ECONNREFUSED catalog:7007'));
    const { service, sent } = await serviceWith(catalog);

    const result = await service.receive('cellport-page', [firing]);

    expect({ result, recipients: sent.map(s => s.recipients) }).toEqual({
      result: { received: 1, opened: 1, resolved: 0 },
      recipients: [
        {
          type: 'entity',
          entityRef: ['group:default/memory-team', 'group:default/on-call'],
        },
      ],
    });
  });

  it('reads the catalog once for the owners and the unknown cells', async () => {
    const catalog = testPlatformCatalog();
    const entities = jest.spyOn(catalog, 'entities');
    const { service } = await serviceWith(catalog);

    const result = await service.receive('cellport-page', [
      firing,
      {
        ...firing,
        fingerprint: 'ffff',
        labels: { ...firing.labels, cell: 'no-such-cell' },
      },
    ]);

    expect({ result, reads: entities.mock.calls.length }).toEqual({
      result: {
        received: 2,
        opened: 2,
        resolved: 0,
        unknownCells: ['no-such-cell'],
      },
      reads: 1,
    });
  });
});
