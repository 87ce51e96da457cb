/**
 * The name an entity reference points at. The platform's ids (in events, gateway state and
 * these rules) are entity names: `tenant:default/northwind-retail` and `northwind-retail` are
 * both `northwind-retail`.
 */
export function entityRefName(ref: string): string {
  const afterKind = ref.includes(':') ? ref.slice(ref.indexOf(':') + 1) : ref;
  return afterKind.includes('/')
    ? afterKind.slice(afterKind.indexOf('/') + 1)
    : afterKind;
}

/**
 * Whether two entity names (or refs) name the same entity: the catalog compares names without
 * regard to letter case, so a hand-written `Meridian-Dedicated` is `meridian-dedicated`.
 * Every rule that matches entities by name matches by this, or a name in other case would
 * slip past it (a cell's capacity, a model's privacy).
 */
export function sameEntityName(a: string, b: string): boolean {
  return (
    entityRefName(a).toLocaleLowerCase('en-US') ===
    entityRefName(b).toLocaleLowerCase('en-US')
  );
}
