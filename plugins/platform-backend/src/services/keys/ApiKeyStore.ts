import { ConflictError } from '@backstage/errors';
import { Knex } from 'knex';
import { Clock } from '../clock';
import { BoundApiKey, ManagedApiKeys } from '@cellport/plugin-platform-node';

const KEYS = 'platform_api_keys';
const ROTATIONS = 'platform_api_key_rotations';

/** One rotation: the key rotated out, the hash of its successor, who and until when. */
export interface ApiKeyRotation {
  old: BoundApiKey;
  successor: { sha256: string; prefix: string };
  rotatedBy: string;
  /** When the old key stops working (ms since the epoch). */
  expiresAt: number;
}

/**
 * The API keys the platform database holds: keys minted by rotations (hash and prefix, never
 * the key) and rotations, each setting when a rotated-out key stops working. The reconciler
 * merges them with the catalog's keys (`mergeApiKeys`).
 */
export class ApiKeyStore {
  constructor(private readonly db: Knex, private readonly clock: Clock) {}

  async managed(): Promise<ManagedApiKeys> {
    const [keys, rotations] = await Promise.all([
      this.db(KEYS).select(),
      this.db(ROTATIONS).select('sha256', 'expires_at'),
    ]);
    return {
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
