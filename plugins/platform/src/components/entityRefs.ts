import {
  CompoundEntityRef,
  Entity,
  parseEntityRef,
} from '@backstage/catalog-model';

/** Resolves the short references platform specs use (`gpt-4o`) against the kind they name. */
export function resolveRefs(
  refs: string[] | undefined,
  defaultKind: string,
  defaultNamespace = 'default',
): CompoundEntityRef[] {
  return (refs ?? []).map(ref =>
    parseEntityRef(ref, { defaultKind, defaultNamespace }),
  );
}

/** Names of the entities related to `entity` by `type`, of one kind (`tenant`). */
export function relatedNames(
  entity: Entity,
  type: string,
  kind: string,
): string[] {
  return (entity.relations ?? [])
    .filter(r => r.type === type)
    .map(r => parseEntityRef(r.targetRef))
    .filter(ref => ref.kind.toLocaleLowerCase('en-US') === kind)
    .map(ref => ref.name);
}
