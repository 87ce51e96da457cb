import { ConflictError } from '@backstage/errors';
import { Knex } from 'knex';
import {
  ApiKeyHolder,
  BoundApiKey,
  Clock,
  ManagedApiKeys,
} from '@cellport/plugin-platform-node';
import { chunk, insertChunkSize } from '../../database/chunks';

const KEYS = 'platform_api_keys';
const ROTATIONS = 'platform_api_key_rotations';
const ISSUES = 'platform_api_key_issues';
const ADOPTION = 'platform_api_key_adoption';

/** A key the portal issued for an annotation: its hash and prefix, whom and for whom. */
export interface ApiKeyIssue extends ApiKeyHolder {
  sha256: string;
  prefix: string;
  /** User entity ref the key was sealed for. */
  issuedBy?: string;
}

/** One rotation: the key rotated out, the hash of its successor, who and until when. */
export interface ApiKeyRotation {
  old: BoundApiKey;
  successor: { sha256: string; prefix: string };
  rotatedBy: string;
  /** When the old key stops working (ms since the epoch). */
  expiresAt: number;
}

/**
 * The API keys the platform database holds: keys the portal issued for catalog annotations
 * (which vouch for them), keys minted by rotations (hash and prefix, never the key) and
 * rotations, each setting when a rotated-out key stops working. The reconciler merges them
 * with the catalog's keys (`mergeApiKeys`).
 */
export class ApiKeyStore {
  private adopted = false;

  constructor(private readonly db: Knex, private readonly clock: Clock) {}

  /**
   * What the database adds to the catalog's keys. `catalogKeys` gives the keys annotated now,
   * recorded as issued the first time any replica asks (`adoptCatalogKeys`).
   */
  async managed(catalogKeys?: () => BoundApiKey[]): Promise<ManagedApiKeys> {
    if (catalogKeys) await this.adoptCatalogKeys(catalogKeys);
    const [keys, rotations, issues] = await Promise.all([
      this.db(KEYS).select(),
      this.db(ROTATIONS).select('sha256', 'expires_at'),
      this.db(ISSUES).select('sha256', 'tenant', 'agent'),
    ]);
    return {
      issued: new Map(
        issues.map(row => [
          row.sha256,
          { tenant: row.tenant, ...(row.agent ? { agent: row.agent } : {}) },
        ]),
      ),
      minted: keys.map(row => ({
        sha256: row.sha256,
        prefix: row.key_prefix,
        tenant: row.tenant,
        ...(row.agent ? { agent: row.agent } : {}),
        createdAt: new Date(Number(row.created_at)).toISOString(),
        source: 'portal' as const,
      })),
      rotatedOut: new Map(
        rotations.map(row => [
          row.sha256,
          new Date(Number(row.expires_at)).toISOString(),
        ]),
      ),
    };
  }

  /** Records that the portal issued a key to a tenant (and agent): from now on it vouches. */
  async recordIssue(issue: ApiKeyIssue): Promise<void> {
    await this.db(ISSUES)
      .insert(this.issueRow(issue, issue.issuedBy ?? null))
      .onConflict('sha256')
      .ignore();
  }

  /**
   * Records the keys annotated in the catalog when the portal first kept issues as issued,
   * once in the life of the database, so an upgrade takes no key out of service. Of replicas
   * racing, only the one whose update marks the adoption done records, in that transaction.
   * A hash two owners claim is adopted for neither.
   */
  private async adoptCatalogKeys(catalogKeys: () => BoundApiKey[]) {
    if (this.adopted) return;
    await this.db.transaction(async tx => {
      const marked = await tx(ADOPTION)
        .where({ id: 'catalog' })
        .whereNull('adopted_at')
        .update({ adopted_at: this.clock.now() });
      if (marked !== 1) return;
      const claims = new Map<string, BoundApiKey[]>();
      for (const key of catalogKeys()) {
        claims.set(key.sha256, [...(claims.get(key.sha256) ?? []), key]);
      }
      const rows = [...claims.values()]
        .filter(keys => keys.every(k => sameHolder(k, keys[0])))
        .map(([key]) => this.issueRow(key, null));
      for (const part of chunk(rows, insertChunkSize(6))) {
        await tx(ISSUES).insert(part).onConflict('sha256').ignore();
      }
    });
    this.adopted = true;
  }

  private issueRow(issue: ApiKeyIssue, issuedBy: string | null) {
    return {
      sha256: issue.sha256,
      key_prefix: issue.prefix,
      tenant: issue.tenant,
      agent: issue.agent ?? null,
      issued_by: issuedBy,
      issued_at: this.clock.now(),
    };
  }

  /**
   * Records a rotation and its successor in one transaction. A key is rotated once: of two
   * rotations racing for it, the second finds its row and fails with a conflict, so no key
   * ever has two successors.
   */
  async rotate(rotation: ApiKeyRotation): Promise<void> {
    const now = this.clock.now();
    try {
      await this.db.transaction(async tx => {
        await tx(ROTATIONS).insert({
          sha256: rotation.old.sha256,
          replaced_by: rotation.successor.sha256,
          rotated_by: rotation.rotatedBy,
          rotated_at: now,
          expires_at: rotation.expiresAt,
        });
        await tx(KEYS).insert({
          sha256: rotation.successor.sha256,
          key_prefix: rotation.successor.prefix,
          tenant: rotation.old.tenant,
          agent: rotation.old.agent ?? null,
          created_by: rotation.rotatedBy,
          created_at: now,
        });
      });
    } catch (error) {
      const existing = await this.db(ROTATIONS)
        .where('sha256', rotation.old.sha256)
        .first('sha256');
      if (existing) {
        throw new ConflictError(
          `API key ${rotation.old.prefix}… was already rotated`,
        );
      }
      throw error;
    }
  }

  /**
   * Deletes the minted keys whose rotation ended before `cutoff` (ms since the epoch): they
   * can never work again. The rotation rows stay, small, so a key the catalog still lists
   * stays expired rather than coming back to life. The number deleted.
   */
  async purgeExpired(cutoff: number = this.clock.now()): Promise<number> {
    return this.db(KEYS)
      .whereIn(
        'sha256',
        this.db(ROTATIONS).where('expires_at', '<=', cutoff).select('sha256'),
      )
      .delete();
  }
}

function sameHolder(a: ApiKeyHolder, b: ApiKeyHolder): boolean {
  return a.tenant === b.tenant && a.agent === b.agent;
}
