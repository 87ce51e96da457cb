import { CompoundEntityRef, parseEntityRef } from '@backstage/catalog-model';

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
