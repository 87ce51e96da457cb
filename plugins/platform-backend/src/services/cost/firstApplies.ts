import { LoggerService } from '@backstage/backend-plugin-api';
import { PlatformDeployReader } from '@cellport/plugin-platform-node';
import { Knex } from 'knex';

/**
 * When each deployment was first applied, for GPU cost (epoch ms by lower-cased entity ref):
 * the earlier of the deploy driver's own log, read over HTTP, and the rows it wrote to this
 * database before it became a plugin of its own. A driver that does not answer leaves what it
 * said before and the older rows, with a warning, rather than failing the cost pages.
 */
export function firstApplies(deps: {
  db: Knex;
  deploy: PlatformDeployReader;
  logger: LoggerService;
}): (entityRefs: string[]) => Promise<Map<string, number>> {
  // A first apply only ever moves earlier: what the driver said last still holds while it
  // does not answer.
  const seen = new Map<string, number>();
  return async entityRefs => {
    const earliest = await legacyFirstApplied(deps.db, entityRefs);
    try {
      for (const [ref, at] of await deps.deploy.firstApplied(entityRefs)) {
        seen.set(ref, Math.min(at, seen.get(ref) ?? at));
      }
    } catch (error) {
      deps.logger.warn(
        `GPU cost counts the first applies read before, and those recorded before the deploy driver moved: the driver's could not be read: ${
          (error as Error).message
        }`,
      );
    }
    for (const ref of entityRefs.map(r => r.toLocaleLowerCase('en-US'))) {
      const at = seen.get(ref);
      const known = earliest.get(ref);
      if (at !== undefined && (known === undefined || at < known)) {
        earliest.set(ref, at);
      }
    }
    return earliest;
  };
}

/**
 * The first successful applies in this database's `platform_deploy_audit`, which the deploy
 * driver wrote while it was part of this plugin. Read only.
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
    .whereRaw(`lower(entity_ref) in (${refs.map(() => '?').join(', ')})`, refs)
    .where('result', 'applied')
    .groupByRaw('lower(entity_ref)')
    .select(db.raw('lower(entity_ref) as ref'), db.raw('min(at) as at'));
  return new Map(rows.map(row => [row.ref, Number(row.at)]));
}
