import { appliedChanges, changedFields } from './changedFields';

describe('changedFields', () => {
  const rendered = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'gw',
      namespace: 'ns',
      labels: { 'app.kubernetes.io/component': 'gateway' },
    },
    spec: {
      replicas: 2,
      template: {
        spec: { containers: [{ name: 'gateway', image: 'gateway:1' }] },
      },
    },
  };

  it('ignores what the cluster adds: defaults, other labels, status, managed fields', () => {
    const live = {
      ...rendered,
      metadata: {
        ...rendered.metadata,
        uid: 'u',
        resourceVersion: '7',
        labels: { ...rendered.metadata.labels, 'pod-template-hash': 'abc' },
        managedFields: [{ manager: 'cellport' }],
      },
      spec: {
        ...rendered.spec,
        revisionHistoryLimit: 10,
        template: {
          spec: {
            containers: [
              {
                name: 'gateway',
                image: 'gateway:1',
                terminationMessagePath: '/dev/termination-log',
              },
            ],
          },
        },
      },
      status: { replicas: 2 },
    };
    expect(changedFields(rendered, live)).toEqual([]);
  });

  it('names each differing field by its path', () => {
    const live = {
      ...rendered,
      metadata: {
        ...rendered.metadata,
        labels: { 'app.kubernetes.io/component': 'tenant' },
      },
      spec: {
        replicas: 6,
        template: {
          spec: { containers: [{ name: 'gateway', image: 'gateway:0' }] },
        },
      },
    };
    expect(changedFields(rendered, live)).toEqual([
      'metadata.labels["app.kubernetes.io/component"]',
      'spec.replicas',
      'spec.template.spec.containers[0].image',
    ]);
  });

  it('counts a list of another length, or a missing object, as one change', () => {
    expect(
      changedFields(rendered, {
        ...rendered,
        spec: { replicas: 2, template: { spec: { containers: [] } } },
      }),
    ).toEqual(['spec.template.spec.containers']);
    expect(
      changedFields(rendered, { ...rendered, spec: { replicas: 2 } }),
    ).toEqual(['spec.template']);
  });
});

describe('appliedChanges', () => {
  const live = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'gw',
      uid: 'u1',
      resourceVersion: '7',
      generation: 3,
      managedFields: [{ manager: 'cellport', time: '2026-12-03T10:00:00Z' }],
    },
    spec: {
      template: {
        spec: {
          containers: [
            {
              name: 'gateway',
              // As the API server stores `1000m`.
              resources: { limits: { cpu: '1' } },
              ports: [
                { name: 'http', containerPort: 7080 },
                { name: 'mesh-admin', containerPort: 15000 },
              ],
            },
          ],
        },
      },
    },
    status: { readyReplicas: 1 },
  };

  it('sees no change where the dry run leaves the object as it is, whatever the bookkeeping', () => {
    const dryRun = structuredClone(live) as any;
    dryRun.metadata.resourceVersion = '8';
    dryRun.metadata.managedFields[0].time = '2026-12-03T11:00:00Z';
    delete dryRun.status;
    expect(appliedChanges(dryRun, live)).toEqual([]);
  });

  it('names every field the apply would change, added or removed', () => {
    const dryRun = structuredClone(live) as any;
    const container = dryRun.spec.template.spec.containers[0];
    container.resources.limits.cpu = '2';
    container.image = 'gateway:2';
    delete dryRun.spec.template.spec.containers[0].ports;
    expect(appliedChanges(dryRun, live).sort()).toEqual([
      'spec.template.spec.containers[0].image',
      'spec.template.spec.containers[0].ports',
      'spec.template.spec.containers[0].resources.limits.cpu',
    ]);
  });
});
