import { CatalogApi } from '@backstage/plugin-catalog-react';

const article = (kind: string) => (/^[AEIOU]/.test(kind) ? 'an' : 'a');

/**
 * Why `name` cannot be used for a new entity of `kinds` (the kinds a template creates under
 * that name), or undefined when it is free: the same refusal the plan step makes, found while
 * the form is still open. Templates register in the `default` namespace.
 */
export async function nameTakenMessage(
  catalogApi: Pick<CatalogApi, 'getEntityByRef'>,
  kinds: string[],
  name: string,
): Promise<string | undefined> {
  for (const kind of kinds) {
    const taken = await catalogApi.getEntityByRef({
      kind,
      namespace: 'default',
      name,
    });
    if (taken) {
      return `"${name}" is already used by ${article(
        kind,
      )} ${kind} in the catalog: pick another name`;
    }
  }
  return undefined;
}
