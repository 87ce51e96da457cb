import { changedFields } from './changedFields';

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
