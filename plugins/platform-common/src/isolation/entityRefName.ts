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
