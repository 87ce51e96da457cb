import { Entity } from '@backstage/catalog-model';

/**
 * A Group with its members, and their Users, as the catalog's relations give them after
 * processing: who a notification to the group reaches.
 */
export function teamWithMembers(group: string, userRefs: string[]): Entity[] {
  return [
    {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Group',
      metadata: { name: group },
      spec: { type: 'team', children: [] },
      relations: userRefs.map(targetRef => ({
        type: 'hasMember',
        targetRef,
      })),
    },
    ...userRefs.map(ref => ({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'User',
      metadata: { name: ref.split('/')[1] },
      spec: {},
    })),
  ];
}
