import {
  DeployAuditRecord,
  DeployErrorBudget,
  DeployObjectResult,
  DeployResult,
  DeployResultCounts,
} from '@cellport/plugin-platform-deploy-common';
import { Knex } from 'knex';
import { Clock } from '@cellport/plugin-platform-node';

const TABLE = 'deploy_audit';

/** What an apply attempt records; the log adds its id and time. */
export type DeployAuditEntry = Omit<DeployAuditRecord, 'id' | 'at'>;

interface AuditRow {
  id: number;
  at: number | string;
  actor: string;
  entity_ref: string;
  cluster: string;
  result: DeployResult;
  message: string | null;
  override_reason: string | null;
  error_budgets: string;
  counts: string;
  objects: string;
}

/**
 * The append-only audit log of the deploy driver: every apply attempt, whatever its result,
 * with who asked, the objects and what happened to each, and any error-budget override
 * reason. There is deliberately no way here to change or remove a record.
 */
export class DeployAuditLog {
  constructor(private readonly db: Knex, private readonly clock: Clock) {}

  async append(entry: DeployAuditEntry): Promise<DeployAuditRecord> {
    const at = this.clock.now();
    const [inserted] = await this.db(TABLE)
      .insert({
        at,
        actor: entry.actor,
        entity_ref: entry.entityRef,
        cluster: entry.cluster,
        result: entry.result,
        message: entry.message ?? null,
        override_reason: entry.overrideReason ?? null,
        error_budgets: JSON.stringify(entry.errorBudgets),
        counts: JSON.stringify(entry.counts),
        objects: JSON.stringify(entry.objects),
      })
      .returning('id');
    const id = typeof inserted === 'object' ? inserted.id : inserted;
    return { id: Number(id), at: new Date(at).toISOString(), ...entry };
  }

  /** Newest first, optionally of one entity. */
  async list(options: {
    entityRef?: string;
    limit: number;
  }): Promise<DeployAuditRecord[]> {
    const query = this.db<AuditRow>(TABLE)
      .select('*')
      .orderBy('id', 'desc')
      .limit(options.limit);
    if (options.entityRef) query.where('entity_ref', options.entityRef);
    const rows: AuditRow[] = await query;
    return rows.map(row => ({
      id: Number(row.id),
      at: new Date(Number(row.at)).toISOString(),
      actor: row.actor,
      entityRef: row.entity_ref,
      cluster: row.cluster,
      result: row.result,
      ...(row.message !== null ? { message: row.message } : {}),
      ...(row.override_reason !== null
        ? { overrideReason: row.override_reason }
        : {}),
      errorBudgets: JSON.parse(row.error_budgets) as DeployErrorBudget[],
      counts: JSON.parse(row.counts) as DeployResultCounts,
      objects: JSON.parse(row.objects) as DeployObjectResult[],
    }));
  }

  /**
   * When each of `entityRefs` was first applied successfully (epoch ms); refs never applied
   * are absent. Capacity is charged from then on, not from when it was registered.
   */
  async firstApplied(entityRefs: string[]): Promise<Map<string, number>> {
    if (entityRefs.length === 0) return new Map();
    // Refs differ only in case across writers (kind spelled `InferenceDeployment` or not).
    const refs = entityRefs.map(ref => ref.toLocaleLowerCase('en-US'));
    const rows: Array<{ ref: string; at: number | string }> = await this.db(
      TABLE,
    )
      .whereRaw(
        `lower(entity_ref) in (${refs.map(() => '?').join(', ')})`,
        refs,
      )
      .where('result', 'applied')
      .groupByRaw('lower(entity_ref)')
      .select(
        this.db.raw('lower(entity_ref) as ref'),
        this.db.raw('min(at) as at'),
      );
    return new Map(rows.map(row => [row.ref, Number(row.at)]));
  }
}
