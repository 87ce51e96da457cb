import { mockServices } from '@backstage/backend-test-utils';
import { NotificationSendOptions } from '@backstage/plugin-notifications-node';
import { testPlatformCatalog } from '../../__testUtils__/entities';
import { AlertNotifier } from './AlertNotifier';

/** A P0 SLO alert of a shared cell opening, with the labels the generated rules give it. */
function opened(labels: Record<string, string>) {
  return {
    change: 'opened' as const,
    alert: {
      status: 'firing' as const,
      labels: {
        alertname: 'CellportSloFastBurn',
        cell: 'eu-west-shared-1',
        service: 'memory-service',
        slo: 'memory-service-availability',
        severity: 'P0',
        ...labels,
      },
      annotations: { summary: 'Memory Service burns 14.4x too fast' },
      startsAt: '2026-12-03T10:00:00Z',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus.example:9090/graph',
      fingerprint: 'fp-1',
    },
  };
}

async function recipientsOf(labels: Record<string, string>) {
  const sent: NotificationSendOptions[] = [];
  const notifier = new AlertNotifier(
    { send: async options => void sent.push(options) },
    mockServices.logger.mock(),
    { fallbackOwner: 'group:on-call' },
  );
  await notifier.notify(
    [opened(labels)],
    await testPlatformCatalog().entities(),
  );
  return sent.map(s => s.recipients);
}

const CELL_OWNER = 'group:default/platform-sre';

describe('AlertNotifier', () => {
  it.each([
    ['a group', 'group:memory-team', ['group:default/memory-team', CELL_OWNER]],
    [
      'a user',
      'user:default/lena.fischer',
      ['user:default/lena.fischer', CELL_OWNER],
    ],
    [
      'a bare name, as a group',
      'memory-team',
      ['group:default/memory-team', CELL_OWNER],
    ],
    ["the cell's owner itself", 'group:platform-sre', [CELL_OWNER]],
  ])(
    "notifies the SLO's owner, %s, beside the cell's owner",
    async (_what, owner, expected) => {
      expect(await recipientsOf({ owner })).toEqual([
        { type: 'entity', entityRef: expected },
      ]);
    },
  );

  it.each([
    ['no owner label', {}],
    ['an owner of another kind', { owner: 'component:memory-service' }],
    ['an owner that is no entity ref', { owner: 'memory team (on call)' }],
  ])(
    "notifies only the tenant's or the cell's owner given %s",
    async (_what, labels) => {
      expect(await recipientsOf(labels)).toEqual([
        { type: 'entity', entityRef: [CELL_OWNER] },
      ]);
      expect(
        await recipientsOf({ tenant: 'northwind-retail', ...labels }),
      ).toEqual([
        { type: 'entity', entityRef: ['group:default/northwind-commerce'] },
      ]);
    },
  );

  it("notifies the cell's owner, not the tenant's, of a cell that does not host the labelled tenant", async () => {
    expect(
      await recipientsOf({
        cell: 'us-east-shared-1',
        tenant: 'northwind-retail',
      }),
    ).toEqual([{ type: 'entity', entityRef: [CELL_OWNER] }]);
  });

  it("notifies the fallback owner, beside the SLO's, of a cell the catalog does not have", async () => {
    expect(
      await recipientsOf({ cell: 'no-such-cell', owner: 'group:memory-team' }),
    ).toEqual([
      {
        type: 'entity',
        entityRef: ['group:default/memory-team', 'group:default/on-call'],
      },
    ]);
  });
});
