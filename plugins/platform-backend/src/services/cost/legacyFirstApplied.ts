import { Knex } from 'knex';

/**
 * First successful applies (epoch ms, by lower-cased entity ref) that the deploy driver wrote
 * to this database's `platform_deploy_audit` before it became a plugin of its own, so that a
 * deployment applied then keeps being charged from then. Read only; the driver writes its own
 * database now.
 */
export async function legacyFirstApplied(
  db: Knex,
  entityRefs: string[],
): Promise<Map<string, number>> {
  if (entityRefs.length === 0) return new Map();
  const refs = entityRefs.map(ref => ref.toLocaleLowerCase('en-US'));
  const rows: Array<{ ref: string; at: number | string }> = await db(
    'platform_deploy_audit',
  )
    .whereIn(db.raw('lower(entity_ref)') as unknown as string, refs)
    .where('result', 'applied')
    .groupByRaw('lower(entity_ref)')
    .select(db.raw('lower(entity_ref) as ref'), db.raw('min(at) as at'));
  return new Map(rows.map(row => [row.ref, Number(row.at)]));
}

/** The earlier of two first-apply times per entity. */
export function earliestApplies(
  ...sources: Array<Map<string, number>>
): Map<string, number> {
  const earliest = new Map<string, number>();
  for (const source of sources) {
    for (const [ref, at] of source) {
      const known = earliest.get(ref);
      if (known === undefined || at < known) earliest.set(ref, at);
    }
  }
  return earliest;
}
