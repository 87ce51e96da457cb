import platformModuleDemo from '@cellport/plugin-platform-backend-module-demo';
import request from 'supertest';
import {
  as,
  NORTHWIND_DEV,
  OUTSIDER,
  SRE,
  tenantOwnerPolicy,
} from './__testUtils__/tenantOwnerPolicy';
import { startPlatformBackend } from './__testUtils__/startPlatformBackend';
import { createTestDatabases } from '@cellport/plugin-platform-node-test-utils';

jest.setTimeout(180_000);

const permissions = tenantOwnerPolicy();

describe('platform router: replays', () => {
  const databases = createTestDatabases();

  it.each(databases.eachSupportedId())(
    'runs replays as jobs, checks their input and who may read them, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const { server } = await startPlatformBackend(knex, {
        features: [platformModuleDemo],
        permissions: permissions.factory,
        platform: { demo: { enabled: true } },
      });
      const backfill = await request(server)
        .post('/api/platform/demo/backfill?days=2')
        .set(as(SRE));
      expect(backfill.status).toBe(200);
      const now = Date.now();
      const range = {
        from: new Date(now - 3 * 86_400_000).toISOString(),
        to: new Date(now + 60_000).toISOString(),
      };

      const start = (user: string, body: object) =>
        request(server).post('/api/platform/replays').set(as(user)).send(body);
      /** Polls a job until it ends; the backend's own work bounds how long. */
      const finished = async (user: string, id: string) => {
        for (;;) {
          const job = await request(server)
            .get(`/api/platform/replays/${id}`)
            .set(as(user));
          expect(job.status).toBe(200);
          if (job.body.state !== 'running') return job.body;
          await new Promise(resolve => setTimeout(resolve, 25));
        }
      };

      // --- a proposal: the checkout agent on the cost policy, its economy model cheaper
      const started = await start(SRE, {
        agent: 'checkout-assistant',
        ...range,
        change: {
          agents: { 'checkout-assistant': { policy: 'cost' } },
          modelProfiles: {
            'azure-gpt-4o-mini-eu': {
              inputPerMillionUsd: 0.15,
              outputPerMillionUsd: 0.6,
            },
          },
        },
      });
      expect(started.status).toBe(202);
      expect(started.body).toMatchObject({
        id: expect.any(String),
        state: 'running',
        scope: { cell: 'eu-west-shared-1', agent: 'checkout-assistant' },
      });
      const done = await finished(SRE, started.body.id);
      expect(done.state).toBe('done');
      const result = done.result;
      expect(result.decisions.replayed).toBeGreaterThan(100);
      expect(done.progress.decisions).toBe(result.decisions.read);
      expect(result.cost.proposedUsd).toBeLessThan(result.cost.recordedUsd / 5);
      expect(result.cost.byAgent).toEqual([
        expect.objectContaining({ agent: 'checkout-assistant' }),
      ]);
      expect(result.qualityTiers.proposed).toEqual({
        economy: result.decisions.replayed,
      });
      expect(result.changedRoutes.sample[0]).toMatchObject({
        cause: 'change',
        proposed: 'azure-gpt-4o-mini-eu',
      });
      // A changed route opens in the decision drawer by its id.
      const opened = await request(server)
        .get(
          `/api/platform/decisions/${result.changedRoutes.sample[0].decisionId}`,
        )
        .set(as(SRE));
      expect(opened.status).toBe(200);
      expect(result.caveats.join(' ')).toMatch(/Outputs would differ/);
      expect(done.expiresAt).toEqual(expect.any(String));

      // --- the unchanged state over the whole cell: the determinism check
      const cell = await start(SRE, { cell: 'eu-west-shared-1', ...range });
      expect(cell.status).toBe(202);
      const cellDone = await finished(SRE, cell.body.id);
      expect(cellDone.result.determinism.share).toBeGreaterThanOrEqual(0.999);
      expect(cellDone.result.cost.byAgent.map((a: any) => a.agent)).toEqual(
        expect.arrayContaining(['checkout-assistant', 'homework-helper']),
      );

      // --- bad input is a 400 naming the field, before any job starts
      const bad = async (body: object, message: RegExp) => {
        const answer = await start(SRE, body);
        expect(answer.status).toBe(400);
        expect(answer.body.error.message).toMatch(message);
      };
      await bad(
        {
          agent: 'checkout-assistant',
          from: '2026-01-01T00:00:00Z',
          to: '2026-03-01T00:00:00Z',
        },
        /to: a replay covers at most 31 days/,
      );
      await bad(
        { agent: 'checkout-assistant', from: range.to, to: range.from },
        /to: must be after from/,
      );
      await bad(
        { agent: 'checkout-assistant', from: 'yesterday', to: range.to },
        /from/,
      );
      await bad(
        {
          agent: 'checkout-assistant',
          from: '1999-12-31T00:00:00Z',
          to: '2000-01-02T00:00:00Z',
        },
        /from: must be in the years 2000 to 2099/,
      );
      await bad(
        {
          agent: 'checkout-assistant',
          ...range,
          change: { agents: { 'checkout-assistant': { policy: 'fastest' } } },
        },
        /policy/,
      );
      await bad(
        {
          agent: 'checkout-assistant',
          ...range,
          change: { modelProfiles: { 'gpt-ünknown-模型': { down: true } } },
        },
        /change\.modelProfiles\.gpt-ünknown-模型: model profile "gpt-ünknown-模型" is not in the catalog/,
      );
      // A key that parsing would drop without a word, replaying no change at all.
      await bad(
        {
          agent: 'checkout-assistant',
          ...range,
          change: JSON.parse('{"agents":{"__proto__":{"policy":"cost"}}}'),
        },
        /change\.agents\.__proto__: is not the name of a catalog entity/,
      );
      await bad(
        { agent: 'checkout-assistant', ...range, sql: "'; drop table x" },
        /sql/,
      );
      await bad({ ...range }, /cell: name a cell or an agent/);
      const unknownAgent = await start(SRE, { agent: 'nobody', ...range });
      expect(unknownAgent.status).toBe(404);
      expect(unknownAgent.body.error.message).toMatch(/agent "nobody"/);

      // --- permissions: a tenant's member replays its agent, not another's or a shared cell
      const own = await start(NORTHWIND_DEV, {
        agent: 'checkout-assistant',
        ...range,
      });
      expect(own.status).toBe(202);
      expect((await finished(NORTHWIND_DEV, own.body.id)).state).toBe('done');
      const otherAgent = await start(NORTHWIND_DEV, {
        agent: 'homework-helper',
        ...range,
      });
      expect(otherAgent.status).toBe(403);
      expect(otherAgent.body.error.message).toMatch(/brightpath-edu/);
      const sharedCell = await start(NORTHWIND_DEV, {
        cell: 'eu-west-shared-1',
        ...range,
      });
      expect(sharedCell.status).toBe(403);
      expect(sharedCell.body.error.message).toMatch(/tenants you may not read/);
      // Even over a range without decisions, a cell of other tenants only is not its to replay.
      const foreignCell = await start(NORTHWIND_DEV, {
        cell: 'us-east-shared-1',
        ...range,
      });
      expect(foreignCell.status).toBe(403);
      // Nor may it read or cancel the SRE's replay of that cell.
      const peek = await request(server)
        .get(`/api/platform/replays/${cell.body.id}`)
        .set(as(NORTHWIND_DEV));
      expect(peek.status).toBe(403);
      expect(peek.body.result).toBeUndefined();
      const cancelOthers = await request(server)
        .delete(`/api/platform/replays/${cell.body.id}`)
        .set(as(NORTHWIND_DEV));
      expect(cancelOthers.status).toBe(403);
      expect(
        (await start(OUTSIDER, { agent: 'checkout-assistant', ...range }))
          .status,
      ).toBe(403);

      // --- cancelling: an ended job stays as it ended; unknown ids are 404
      const cancelDone = await request(server)
        .delete(`/api/platform/replays/${started.body.id}`)
        .set(as(SRE));
      expect(cancelDone.status).toBe(200);
      expect(cancelDone.body.state).toBe('done');
      const running = await start(SRE, { cell: 'eu-west-shared-1', ...range });
      const cancelled = await request(server)
        .delete(`/api/platform/replays/${running.body.id}`)
        .set(as(SRE));
      expect(cancelled.status).toBe(200);
      // It may have ended before the cancel arrived (ReplayJobs.test cancels one mid-run);
      // either way the state the cancel answered is the one that stays.
      expect(['cancelled', 'done']).toContain(cancelled.body.state);
      expect((await finished(SRE, running.body.id)).state).toBe(
        cancelled.body.state,
      );
      const missing = await request(server)
        .get('/api/platform/replays/no-such-job')
        .set(as(SRE));
      expect(missing.status).toBe(404);
    },
  );
});
