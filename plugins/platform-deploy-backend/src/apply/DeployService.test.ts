import { Entity } from '@backstage/catalog-model';
import { systemClock } from '@cellport/plugin-platform-node';
import {
  closedPort,
  createTestDatabases,
  FakeKubernetesApiServer,
  TEST_ENTITIES,
} from '@cellport/plugin-platform-node-test-utils';
import {
  createTestDeployService,
  TestSloReports,
} from '../__testUtils__/deployService';
import { applyDatabaseMigrations } from '../database/openDatabase';
import { DeployAuditLog } from '../audit/DeployAuditLog';

jest.setTimeout(60_000);

const CELL = 'cell:default/eu-west-shared-1';
const INFERENCE = 'inferencedeployment:default/llama-3-1-70b-eu';
const TOKEN = 'test-service-account-token';
const SRE = 'user:default/sre-on-call';

/** The test entities with the shared cell hosting only the given tenants. */
function withCellTenants(tenants: string[]): Entity[] {
  return TEST_ENTITIES.map(entity =>
    entity.kind === 'Cell' && entity.metadata.name === 'eu-west-shared-1'
      ? { ...entity, spec: { ...entity.spec, tenants } }
      : entity,
  );
}

function withInferenceReplicas(min: number): Entity[] {
  return TEST_ENTITIES.map(entity =>
    entity.kind === 'InferenceDeployment'
      ? {
          ...entity,
          spec: {
            ...entity.spec,
            replicas: { ...(entity.spec as any).replicas, min },
          },
        }
      : entity,
  );
}

describe('DeployService', () => {
  const databases = createTestDatabases();
  let server: FakeKubernetesApiServer;

  beforeEach(async () => {
    server = new FakeKubernetesApiServer({ token: TOKEN });
    await server.start();
  });
  afterEach(() => server.stop());

  async function setup(databaseId: Parameters<typeof databases.init>[0]) {
    const knex = await databases.init(databaseId);
    await applyDatabaseMigrations(knex);
    const audit = new DeployAuditLog(knex, systemClock);
    const slos = new TestSloReports();
    const serviceFor = (
      entities: Entity[] = TEST_ENTITIES,
      clusterUrl: string = server.url,
    ) =>
      createTestDeployService({
        knex,
        clusterUrl,
        token: TOKEN,
        entities,
        slos,
      }).service;
    return { knex, audit, serviceFor, slos };
  }

  it.each(databases.eachSupportedId())(
    "refuses a deploy that would take over or prune another entity's objects, naming the field, on %p",
    async databaseId => {
      const { serviceFor } = await setup(databaseId);
      // A second cell on the eu-west cluster: its gateway has the same names as the first's.
      const shared = TEST_ENTITIES.find(
        e => e.kind === 'Cell' && e.metadata.name === 'eu-west-shared-1',
      )!;
      const twin: Entity = {
        ...shared,
        metadata: { ...shared.metadata, name: 'eu-west-twin' },
        spec: { ...shared.spec, tenants: [] },
      };
      await expect(
        serviceFor([...TEST_ENTITIES, twin]).plan(CELL),
      ).rejects.toThrow(
        'spec.cluster: cluster "eks-eu-west-1-shared" also runs cell "eu-west-twin"; a cluster runs one cell',
      );
      // A copied InferenceDeployment keeping the first's kubernetes-id: deploying it would
      // prune the first's GPU workload.
      const llama = TEST_ENTITIES.find(e => e.kind === 'InferenceDeployment')!;
      const copy: Entity = {
        ...llama,
        metadata: {
          ...llama.metadata,
          name: 'qwen-2-5-7b-eu',
          annotations: {
            ...llama.metadata.annotations,
            'backstage.io/kubernetes-id': 'llama-3-1-70b-eu',
          },
        },
      };
      // Its cell named in other case: its objects carry the cell as its owner selector reads
      // it, so the plan finds them.
      const recased = TEST_ENTITIES.map(e =>
        e === llama
          ? {
              ...e,
              spec: { ...e.spec, cell: 'cell:default/EU-West-Shared-1' },
            }
          : e,
      );
      await serviceFor(recased).apply(CELL, { actor: SRE });
      expect(
        (await serviceFor(recased).apply(INFERENCE, { actor: SRE })).result,
      ).toBe('applied');
      const applied = server.get(
        'apps/v1',
        'Deployment',
        'cellport-inference',
        'llama-3-1-70b-eu',
      )!;
      expect(applied.metadata.labels['cellport.dev/cell']).toBe(
        'eu-west-shared-1',
      );
      expect((await serviceFor(recased).plan(INFERENCE)).counts).toMatchObject({
        create: 0,
        prune: 0,
      });
      await expect(
        serviceFor([...TEST_ENTITIES, copy]).plan(
          'inferencedeployment:default/qwen-2-5-7b-eu',
        ),
      ).rejects.toThrow(
        'metadata.annotations["backstage.io/kubernetes-id"]: "llama-3-1-70b-eu" is also the id of InferenceDeployment "llama-3-1-70b-eu"',
      );
    },
  );

  it.each(databases.eachSupportedId())(
    'plans, applies with server-side apply, is idempotent, changes and prunes, on %p',
    async databaseId => {
      const { serviceFor } = await setup(databaseId);
      const service = serviceFor();

      // --- plan against an empty cluster: everything is created, Namespaces first.
      const plan = await service.plan(CELL);
      expect(plan.cluster).toEqual({
        name: 'eks-eu-west-1-shared',
        configured: true,
      });
      expect(plan.counts).toEqual({
        create: 23,
        change: 0,
        unchanged: 0,
        prune: 0,
      });
      expect(plan.objects.slice(0, 3).map(o => o.kind)).toEqual([
        'Namespace',
        'Namespace',
        'Namespace',
      ]);
      expect(server.writes()).toEqual([]);

      // --- apply
      server.clearRequests();
      const applied = await service.apply(CELL, { actor: SRE });
      expect(applied).toMatchObject({
        entityRef: CELL,
        cell: 'eu-west-shared-1',
        cluster: 'eks-eu-west-1-shared',
        result: 'applied',
        errorBudgetExhausted: false,
        counts: { applied: 23, changed: 23, pruned: 0, failed: 0 },
      });
      const patches = server.writes();
      expect(patches).toHaveLength(23);
      for (const patch of patches) {
        expect(patch.method).toBe('PATCH');
        expect(patch.contentType).toBe('application/apply-patch+yaml');
        expect(patch.query).toEqual({
          fieldManager: 'cellport',
          force: 'false',
        });
      }
      expect(patches.slice(0, 4).map(p => p.path)).toEqual([
        '/api/v1/namespaces/cellport-shared-gateway',
        '/api/v1/namespaces/cellport-inference',
        '/api/v1/namespaces/tenant-northwind-retail',
        '/api/v1/namespaces/tenant-brightpath-edu',
      ]);
      expect(patches.map(p => p.path)).toContain(
        '/apis/apps/v1/namespaces/cellport-shared-gateway/deployments/cellport-gateway',
      );
      // Discovery maps kinds to paths; subresources are not taken for resources.
      expect(server.requests.map(r => r.path)).toContain('/apis/apps/v1');
      const gateway = server.get(
        'apps/v1',
        'Deployment',
        'cellport-shared-gateway',
        'cellport-gateway',
      )!;
      expect(gateway.metadata.managedFields[0]).toMatchObject({
        manager: 'cellport',
        operation: 'Apply',
      });
      // The API server's defaults are there, and do not count as changes below.
      expect(gateway.spec.revisionHistoryLimit).toBe(10);

      // --- idempotent: the plan is all unchanged and a second apply changes nothing.
      const versions = server
        .list()
        .map(o => `${o.kind}/${o.metadata.name}@${o.metadata.resourceVersion}`);
      expect((await service.plan(CELL)).counts).toEqual({
        create: 0,
        change: 0,
        unchanged: 23,
        prune: 0,
      });
      const again = await service.apply(CELL, { actor: SRE });
      expect(again.result).toBe('applied');
      expect(again.counts).toMatchObject({ applied: 23, changed: 0 });

      expect(
        server
          .list()
          .map(
            o => `${o.kind}/${o.metadata.name}@${o.metadata.resourceVersion}`,
          ),
      ).toEqual(versions);

      // --- another field manager adds a port to the gateway container: the API server merges
      // container ports by key, so our apply would keep it. The plan, a dry-run apply, says
      // unchanged (comparing the rendered list with the live one said "changed" forever).
      const sidecarPort = await fetch(
        `${server.url}/apis/apps/v1/namespaces/cellport-shared-gateway/deployments/cellport-gateway?fieldManager=mesh-injector`,
        {
          method: 'PATCH',
          headers: {
            Authorization: `Bearer ${TOKEN}`,
            'Content-Type': 'application/apply-patch+yaml',
          },
          body: JSON.stringify({
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            metadata: {
              name: 'cellport-gateway',
              namespace: 'cellport-shared-gateway',
            },
            spec: {
              template: {
                spec: {
                  containers: [
                    {
                      name: 'gateway',
                      ports: [{ name: 'mesh-admin', containerPort: 15000 }],
                    },
                  ],
                },
              },
            },
          }),
        },
      );
      expect(sidecarPort.status).toBe(200);
      const afterSidecar = await service.plan(CELL);
      expect(afterSidecar.counts).toMatchObject({ change: 0, unchanged: 23 });
      // The plan only read: dry runs store nothing.
      expect(server.writes().filter(w => w.query.dryRun)).toEqual([]);

      // --- an inference deployment in the namespace its cell provides, then a change to it.
      expect((await service.apply(INFERENCE, { actor: SRE })).counts).toEqual({
        applied: 4,
        changed: 4,
        pruned: 0,
        failed: 0,
        notAttempted: 0,
      });
      const scaled = serviceFor(withInferenceReplicas(3));
      const changePlan = await scaled.plan(INFERENCE);
      // The autoscaler owns the replica count: only its lower bound changes.
      expect(changePlan.counts).toEqual({
        create: 0,
        change: 1,
        unchanged: 3,
        prune: 0,
      });
      expect(changePlan.objects.filter(o => o.action === 'change')).toEqual([
        expect.objectContaining({
          kind: 'HorizontalPodAutoscaler',
          changedFields: ['spec.minReplicas'],
        }),
      ]);
      expect(
        (await scaled.apply(INFERENCE, { actor: SRE })).counts.changed,
      ).toBe(1);
      expect(
        server.get(
          'autoscaling/v2',
          'HorizontalPodAutoscaler',
          'cellport-inference',
          'llama-3-1-70b-eu',
        )!.spec.minReplicas,
      ).toBe(3);

      // --- prune: brightpath-edu leaves the cell; its namespace and objects go, Namespace last.
      const shrunk = serviceFor(withCellTenants(['northwind-retail']));
      const prunePlan = await shrunk.plan(CELL);
      expect(prunePlan.counts).toEqual({
        create: 0,
        change: 0,
        unchanged: 17,
        prune: 6,
      });
      const pruned = prunePlan.objects.filter(o => o.action === 'prune');
      expect(
        pruned.every(
          o =>
            o.name === 'tenant-brightpath-edu' ||
            o.namespace === 'tenant-brightpath-edu',
        ),
      ).toBe(true);
      expect(pruned[pruned.length - 1]).toMatchObject({
        kind: 'Namespace',
        name: 'tenant-brightpath-edu',
      });
      server.clearRequests();
      const afterPrune = await shrunk.apply(CELL, { actor: SRE });
      expect(afterPrune.counts).toMatchObject({
        applied: 17,
        changed: 0,
        pruned: 6,
      });
      const deletes = server.writes().filter(r => r.method === 'DELETE');
      expect(deletes).toHaveLength(6);
      expect(deletes[5].path).toBe('/api/v1/namespaces/tenant-brightpath-edu');
      expect(
        server
          .list()
          .filter(
            o =>
              o.metadata.namespace === 'tenant-brightpath-edu' ||
              o.metadata.name === 'tenant-brightpath-edu',
          ),
      ).toEqual([]);
      // The inference deployment shares the cell label but is not the cell's to prune.
      expect(
        server.get(
          'apps/v1',
          'Deployment',
          'cellport-inference',
          'llama-3-1-70b-eu',
        ),
      ).toBeDefined();
      expect((await shrunk.plan(CELL)).counts.prune).toBe(0);
    },
  );

  it.each(databases.eachSupportedId())(
    'reports conflicts, missing namespaces, lost connections and unreachable clusters per object, on %p',
    async databaseId => {
      const { serviceFor, audit } = await setup(databaseId);
      const service = serviceFor();

      // A missing namespace fails each object with the cluster's message.
      const noNamespace = await service.apply(INFERENCE, { actor: SRE });
      expect(noNamespace.result).toBe('failed');
      expect(noNamespace.objects.map(o => o.outcome)).toEqual([
        'failed',
        'failed',
        'failed',
        'failed',
      ]);
      expect(noNamespace.objects[0].message).toMatch(
        /404 NotFound: namespaces "cellport-inference" not found/,
      );

      await service.apply(CELL, { actor: SRE });
      // Someone edits the gateway's rollout by hand: kubectl now owns a field we render.
      const gateway = server.get(
        'apps/v1',
        'Deployment',
        'cellport-shared-gateway',
        'cellport-gateway',
      )!;
      server.put(
        {
          ...gateway,
          spec: {
            ...gateway.spec,
            strategy: {
              ...gateway.spec.strategy,
              rollingUpdate: {
                ...gateway.spec.strategy.rollingUpdate,
                maxSurge: 3,
              },
            },
          },
        },
        'kubectl',
      );
      const plan = await service.plan(CELL);
      expect(plan.objects.find(o => o.kind === 'Deployment')).toMatchObject({
        action: 'change',
        changedFields: ['spec.strategy.rollingUpdate.maxSurge'],
      });
      const conflicted = await service.apply(CELL, { actor: SRE });
      expect(conflicted.result).toBe('failed');
      const failed = conflicted.objects.filter(o => o.outcome === 'failed');
      expect(failed).toEqual([
        expect.objectContaining({
          kind: 'Deployment',
          name: 'cellport-gateway',
          message: expect.stringMatching(
            /409 Conflict: Apply failed with 1 conflict: conflict with "kubectl" using apps\/v1: \.spec\.strategy\.rollingUpdate\.maxSurge/,
          ),
        }),
      ]);
      expect(conflicted.counts).toMatchObject({ applied: 22, failed: 1 });
      expect(conflicted.message).toMatch(/conflict with "kubectl"/);
      // Not forced: the hand-set value stays.
      expect(
        server.get(
          'apps/v1',
          'Deployment',
          'cellport-shared-gateway',
          'cellport-gateway',
        )!.spec.strategy.rollingUpdate.maxSurge,
      ).toBe(3);

      // A connection lost mid-apply: what was answered is applied, the lost one is unknown,
      // and nothing after it is sent.
      const fresh = serviceFor(withCellTenants(['brightpath-edu']));
      server.failNext(
        r =>
          r.method === 'PATCH' &&
          r.query.dryRun !== 'All' &&
          r.path.endsWith('/serviceaccounts/cellport-gateway'),
        { drop: true },
      );
      server.clearRequests();
      const dropped = await fresh.apply(CELL, { actor: SRE });
      expect(dropped.result).toBe('failed');
      const outcomes = dropped.objects.map(o => `${o.kind}:${o.outcome}`);
      expect(outcomes.slice(0, 5)).toEqual([
        'Namespace:applied',
        'Namespace:applied',
        'Namespace:applied',
        'ServiceAccount:failed',
        'Deployment:not-attempted',
      ]);
      expect(dropped.objects[3].message).toMatch(/^Outcome unknown/);
      expect(dropped.objects.filter(o => o.outcome === 'applied')).toHaveLength(
        3,
      );
      // The prune of northwind-retail's namespace was not attempted either.
      expect(
        dropped.objects
          .filter(o => o.operation === 'prune')
          .map(o => o.outcome),
      ).toEqual(Array(6).fill('not-attempted'));
      expect(server.writes()).toHaveLength(4);

      // An unreachable cluster: the plan is a clear error, the apply sends nothing.
      const unreachable = serviceFor(
        TEST_ENTITIES,
        `http://127.0.0.1:${await closedPort()}`,
      );
      await expect(unreachable.plan(CELL)).rejects.toThrow(
        /Could not read cluster "eks-eu-west-1-shared": Cluster "eks-eu-west-1-shared" \(http:\/\/127\.0\.0\.1:\d+\) is unreachable: ECONNREFUSED$/,
      );
      const down = await unreachable.apply(CELL, { actor: SRE });
      expect(down.result).toBe('failed');
      expect(down.message).toMatch(/^Nothing was applied: .*ECONNREFUSED/);
      expect(down.objects.every(o => o.outcome === 'not-attempted')).toBe(true);
      expect(JSON.stringify(down)).not.toContain(TOKEN);

      const records = await audit.list({ entityRef: CELL, limit: 10 });
      expect(records.map(r => r.result)).toEqual([
        'failed',
        'failed',
        'failed',
        'applied',
      ]);
      expect(records[0]).toMatchObject({
        actor: SRE,
        cluster: 'eks-eu-west-1-shared',
        counts: { notAttempted: 23 },
      });
    },
  );

  it.each(databases.eachSupportedId())(
    'refuses without a cluster and while the error budget is spent, unless overridden, and audits it all, on %p',
    async databaseId => {
      const { serviceFor, audit, slos } = await setup(databaseId);
      const service = serviceFor();

      // No cluster configured for us-east-shared-1: the plan is still there, apply is a 400.
      const offline = await service.plan('cell:default/us-east-shared-1');
      expect(offline.cluster).toMatchObject({
        name: 'eks-us-east-1-shared',
        configured: false,
        message: expect.stringMatching(/No cluster "eks-us-east-1-shared"/),
      });
      expect(offline.objects.every(o => o.action === 'create')).toBe(true);
      await expect(
        service.apply('cell:default/us-east-shared-1', { actor: SRE }),
      ).rejects.toMatchObject({
        name: 'InputError',
        message: expect.stringMatching(
          /^No cluster configured for cell "us-east-shared-1"/,
        ),
      });
      const status = await service.status('cell:default/us-east-shared-1');
      expect(status).toEqual({
        entityRef: 'cell:default/us-east-shared-1',
        cluster: expect.objectContaining({ configured: false }),
        workloads: [],
      });

      // The cell's availability SLO (99.9%) has one failure in two requests: budget spent.
      slos.set('eu-west-shared-1', { total: 2, good: 1 });
      const refused = await service.apply(CELL, { actor: SRE });
      expect(refused).toMatchObject({
        result: 'refused',
        errorBudgetExhausted: true,
        errorBudgets: [
          {
            objective: 'gateway-availability',
            remainingFraction: expect.any(Number),
          },
        ],
        message: expect.stringMatching(
          /error budget of cell "eu-west-shared-1" is exhausted/,
        ),
        counts: { notAttempted: 23 },
      });
      expect(refused.errorBudgets[0].remainingFraction).toBeLessThanOrEqual(0);
      // The inference deployment's cell is that cell: refused too.
      expect((await service.apply(INFERENCE, { actor: SRE })).result).toBe(
        'refused',
      );
      // A blank reason is no reason.
      expect(
        (await service.apply(CELL, { actor: SRE, overrideReason: '   ' }))
          .result,
      ).toBe('refused');
      expect(server.writes()).toEqual([]);

      const overridden = await service.apply(CELL, {
        actor: SRE,
        overrideReason: 'INC-4211: roll back the broken gateway image',
      });
      expect(overridden).toMatchObject({
        result: 'applied',
        errorBudgetExhausted: true,
        overrideReason: 'INC-4211: roll back the broken gateway image',
      });

      // The autoscaler sets the replica count, a field we leave to it (generation 2).
      const gateway = server.get(
        'apps/v1',
        'Deployment',
        'cellport-shared-gateway',
        'cellport-gateway',
      )!;
      server.put(
        { ...gateway, spec: { ...gateway.spec, replicas: 4 } },
        'horizontal-pod-autoscaler',
      );
      // Rollout status: the controller has not finished the gateway yet.
      server.setStatus(
        'apps/v1',
        'Deployment',
        'cellport-shared-gateway',
        'cellport-gateway',
        {
          observedGeneration: 2,
          replicas: 5,
          updatedReplicas: 2,
          readyReplicas: 4,
          availableReplicas: 4,
          conditions: [
            {
              type: 'Progressing',
              status: 'True',
              reason: 'ReplicaSetUpdated',
              message: 'ReplicaSet "cellport-gateway-7d9" is progressing.',
            },
          ],
        },
      );
      const rollout = await service.status(CELL);
      expect(rollout.workloads).toEqual([
        {
          kind: 'Deployment',
          namespace: 'cellport-shared-gateway',
          name: 'cellport-gateway',
          desiredReplicas: 4,
          replicas: 5,
          updatedReplicas: 2,
          readyReplicas: 4,
          availableReplicas: 4,
          rolledOut: false,
          conditions: [
            {
              type: 'Progressing',
              status: 'True',
              reason: 'ReplicaSetUpdated',
              message: 'ReplicaSet "cellport-gateway-7d9" is progressing.',
            },
          ],
        },
      ]);
      server.setStatus(
        'apps/v1',
        'Deployment',
        'cellport-shared-gateway',
        'cellport-gateway',
        {
          observedGeneration: 2,
          replicas: 4,
          updatedReplicas: 4,
          readyReplicas: 4,
          availableReplicas: 4,
        },
      );
      expect((await service.status(CELL)).workloads[0].rolledOut).toBe(true);

      const log = await audit.list({ limit: 50 });
      expect(
        log.map(r => [r.entityRef, r.result, r.overrideReason ?? null]),
      ).toEqual([
        [CELL, 'applied', 'INC-4211: roll back the broken gateway image'],
        [CELL, 'refused', null],
        [INFERENCE, 'refused', null],
        [CELL, 'refused', null],
        ['cell:default/us-east-shared-1', 'refused', null],
      ]);
      expect(log[0].objects).toHaveLength(23);
      expect(log[0].errorBudgets[0].remainingFraction).toBeLessThanOrEqual(0);
      expect(log[4].message).toMatch(/No cluster configured/);
      expect(log.every(r => r.actor === SRE)).toBe(true);
    },
  );
});
