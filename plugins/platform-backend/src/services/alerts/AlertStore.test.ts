import { AlertmanagerAlert } from '@cellport/plugin-platform-common';
import { applyDatabaseMigrations } from '../../database/migrations';
import { AlertFilter, AlertStore } from './AlertStore';
import { createTestDatabases } from '@cellport/plugin-platform-node-test-utils';
import { ManualClock } from '@cellport/plugin-platform-node';

jest.setTimeout(60_000);

const T0 = Date.parse('2026-12-03T10:00:00Z');
const NO_END = '0001-01-01T00:00:00Z';

function alert(
  fields: Omit<Partial<AlertmanagerAlert>, 'labels'> & {
    labels?: Record<string, string>;
  },
): AlertmanagerAlert {
  return {
    status: 'firing',
    startsAt: new Date(T0).toISOString(),
    endsAt: NO_END,
    fingerprint: 'a1b2c3d4e5f60718',
    annotations: { summary: 'AI Gateway burns its budget 14.4x too fast' },
    ...fields,
    labels: {
      alertname: 'CellportSloFastBurn',
      cell: 'eu-west-shared-1',
      service: 'ai-gateway',
      slo: 'gateway-availability',
      severity: 'P0',
      owner: 'group:default/platform-sre',
      ...fields.labels,
    },
  };
}

/** Every alert a filter holds, in one page as large as the route allows. */
async function listOf(store: AlertStore, filter: AlertFilter) {
  return (await store.list(filter, { limit: 500 })).items;
}

describe('AlertStore', () => {
  const databases = createTestDatabases();

  it.each(databases.eachSupportedId())(
    'deduplicates by fingerprint, resolves, reopens and ignores late copies, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const clock = new ManualClock(T0 + 60_000);
      const store = new AlertStore(knex, clock);

      // Alertmanager repeats a firing alert, sometimes twice in one delivery.
      const firing = alert({});
      const first = await store.receive('cellport-page', [firing, firing]);
      expect(first.result).toEqual({ received: 2, opened: 1, resolved: 0 });
      // One incident opened: whom it concerns hears of it once.
      expect(first.changes).toEqual([{ alert: firing, change: 'opened' }]);
      clock.advance(60_000);
      const repeat = await store.receive('cellport-page', [firing]);
      expect(repeat.result).toEqual({ received: 1, opened: 0, resolved: 0 });
      expect(repeat.changes).toEqual([]);
      const [stored] = await listOf(store, { cell: 'eu-west-shared-1' });
      expect(stored).toMatchObject({
        fingerprint: firing.fingerprint,
        alertname: 'CellportSloFastBurn',
        state: 'firing',
        severity: 'P0',
        service: 'ai-gateway',
        slo: 'gateway-availability',
        summary: 'AI Gateway burns its budget 14.4x too fast',
        startsAt: '2026-12-03T10:00:00.000Z',
        updatedAt: new Date(T0 + 120_000).toISOString(),
      });
      expect(stored.endsAt).toBeUndefined();
      expect(await listOf(store, { state: 'resolved' })).toEqual([]);

      const end = '2026-12-03T10:05:00.123456789Z';
      const resolved = { ...firing, status: 'resolved' as const, endsAt: end };
      const resolution = await store.receive('cellport-page', [resolved]);
      expect(resolution.result).toEqual({
        received: 1,
        opened: 0,
        resolved: 1,
      });
      expect(resolution.changes).toEqual([
        { alert: resolved, change: 'resolved' },
      ]);
      // A late copy of the firing notification does not reopen what resolved.
      expect((await store.receive('cellport-page', [firing])).changes).toEqual(
        [],
      );
      expect(await listOf(store, { state: 'firing' })).toEqual([]);
      const [closed] = await listOf(store, { state: 'resolved' });
      expect(closed.endsAt).toBe('2026-12-03T10:05:00.123Z');

      // The same label set firing again is a new incident on the same row.
      const again = alert({ startsAt: '2026-12-03T11:00:00Z' });
      expect((await store.receive('cellport-page', [again])).result).toEqual({
        received: 1,
        opened: 1,
        resolved: 0,
      });
      const rows = await listOf(store, {});
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        state: 'firing',
        startsAt: '2026-12-03T11:00:00.000Z',
      });
      expect(rows[0].endsAt).toBeUndefined();
    },
  );

  it.each(databases.eachSupportedId())(
    'keeps labels as sent, and lists by cell, state and tenant scope, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const store = new AlertStore(knex, new ManualClock(T0));
      await store.receive('cellport-page', [
        alert({
          fingerprint: 'shared',
          labels: { summary: 'ünïcödé 🚨 ✓', owner: 'g'.repeat(5000) },
        }),
        alert({
          fingerprint: 'dedicated',
          startsAt: '2026-12-03T10:01:00Z',
          labels: { cell: 'meridian-dedicated', tenant: 'meridian-health' },
        }),
        alert({
          fingerprint: 'other-shared',
          startsAt: '2026-12-03T10:02:00Z',
          labels: { cell: 'us-east-shared-1' },
        }),
      ]);
      const all = await listOf(store, {});
      expect(all.map(a => a.fingerprint)).toEqual([
        'other-shared',
        'dedicated',
        'shared',
      ]);
      expect(all[2].labels.summary).toBe('ünïcödé 🚨 ✓');
      expect(
        (await listOf(store, { cell: 'meridian-dedicated' })).map(
          a => a.fingerprint,
        ),
      ).toEqual(['dedicated']);
      // A restricted reader: its tenant's alerts, and cell-wide alerts of its tenants' cells.
      expect(
        (
          await listOf(store, {
            tenants: ['northwind-retail'],
            cells: ['eu-west-shared-1'],
          })
        ).map(a => a.fingerprint),
      ).toEqual(['shared']);
      expect(
        (await listOf(store, { tenants: ['meridian-health'], cells: [] })).map(
          a => a.fingerprint,
        ),
      ).toEqual(['dedicated']);
      expect(await listOf(store, { tenants: [], cells: [] })).toEqual([]);
    },
  );

  it.each(databases.eachSupportedId())(
    'pages newest first with a cursor, ties of one start time included, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const store = new AlertStore(knex, new ManualClock(T0));
      // Two starting at once, in the middle: the cursor must not skip or repeat either.
      await store.receive(
        'cellport-page',
        ['a', 'b', 'c', 'd', 'e'].map((fingerprint, i) =>
          alert({
            fingerprint: `fp.${fingerprint}:${i}`,
            startsAt: new Date(T0 + Math.min(i, 2) * 60_000).toISOString(),
          }),
        ),
      );
      const pages: string[][] = [];
      let cursor: string | undefined;
      do {
        const page = await store.list({}, { limit: 2, cursor });
        pages.push(page.items.map(a => a.fingerprint));
        cursor = page.nextCursor;
      } while (cursor);
      expect(pages).toEqual([
        ['fp.e:4', 'fp.d:3'],
        ['fp.c:2', 'fp.b:1'],
        ['fp.a:0'],
      ]);
      await expect(
        store.list({}, { limit: 2, cursor: 'bm90IGEgY3Vyc29y' }),
      ).rejects.toThrow('cursor: is not a cursor this API returned');
    },
  );
});
