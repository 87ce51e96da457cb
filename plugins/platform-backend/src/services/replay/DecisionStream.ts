import { Knex } from 'knex';
import { isPostgres } from '../../database/migrations';
import { DecisionCopy } from './DecisionCopy';

/** Which stored decisions a replay reads: one cell's, or one agent's, over `[from, to)`. */
export interface DecisionScope {
  cell: string;
  /** Only this agent's decisions (in its cell). */
  agent?: string;
  /** Epoch milliseconds. */
  from: number;
  to: number;
}

/** A stored decision as a replay reads it: its recorded features, route and usage. */
export interface StoredDecision {
  id: string;
  ts: number;
  tenant: string;
  agent: string | null;
  requestedModel: string;
  /** The profile the router ranked first; null when it refused. */
  firstChoice: string | null;
  /** The profile that served the request (after fallbacks); null when none did. */
  chosen: string | null;
  /** `,budget,circuit-open,` as stored for the explorer's filters. */
  dropReasons: string;
  /** The recorded error class: why a request was refused or failed. */
  errorClass: string | null;
  stateVersion: string;
  featuresVersion: number | null;
  modelType: string | null;
  classification: string | null;
  complexity: number | null;
  promptTokens: number | null;
  promptTokenBound: number | null;
  promptImages: number | null;
  maxOutputTokens: number | null;
  choices: number | null;
  requiredCapabilities: string | null;
  remainingBudgetUsd: number | null;
  /** The request's usage as recorded; null when its usage event has not arrived. */
  inputTokens: number | null;
  outputTokens: number | null;
  costUsd: number | null;
}

const DECISION_COLUMNS = [
  'id',
  'request_id',
  'ts',
  'tenant',
  'agent',
  'requested_model',
  'first_choice',
  'chosen',
  'drop_reasons',
  'error_class',
  'state_version',
  'features_version',
  'model_type',
  'classification',
  'complexity',
  'prompt_tokens',
  'prompt_token_bound',
  'prompt_images',
  'max_output_tokens',
  'choices',
  'required_capabilities',
  'remaining_budget_usd',
] as const;

/** A request's recorded input tokens, output tokens and cost. */
type Usage = [number, number, number | string];

/** Rows per query: large enough to amortise a round trip, small enough to bound memory. */
export const DEFAULT_BATCH_SIZE = 5000;

/** Rows per COPY: decoded without the driver's garbage, so larger batches cost little memory. */
export const DEFAULT_COPY_BATCH_SIZE = 20_000;

/** Position of each column in a row read as an array (PostgreSQL's `rowMode: 'array'`). */
const AT = Object.fromEntries(DECISION_COLUMNS.map((c, i) => [c, i])) as Record<
  (typeof DECISION_COLUMNS)[number],
  number
>;

/** A row as a StoredDecision: SQLite's come as objects, PostgreSQL's as arrays. */
function toDecision(
  row: any,
  usageOf: (requestId: string) => Usage | undefined,
): StoredDecision {
  const value = Array.isArray(row)
    ? (column: (typeof DECISION_COLUMNS)[number]) => row[AT[column]]
    : (column: (typeof DECISION_COLUMNS)[number]) => row[column];
  const usage = usageOf(value('request_id'));
  const cost = usage === undefined ? null : usage[2];
  return {
    id: value('id'),
    ts: Number(value('ts')),
    tenant: value('tenant'),
    agent: value('agent'),
    requestedModel: value('requested_model'),
    firstChoice: value('first_choice'),
    chosen: value('chosen'),
    dropReasons: value('drop_reasons'),
    errorClass: value('error_class'),
    stateVersion: value('state_version'),
    featuresVersion: value('features_version'),
    modelType: value('model_type'),
    classification: value('classification'),
    complexity: value('complexity'),
    promptTokens: value('prompt_tokens'),
    promptTokenBound: value('prompt_token_bound'),
    promptImages: value('prompt_images'),
    maxOutputTokens: value('max_output_tokens'),
    choices: value('choices'),
    requiredCapabilities: value('required_capabilities'),
    remainingBudgetUsd: value('remaining_budget_usd'),
    inputTokens: usage === undefined ? null : usage[0],
    outputTokens: usage === undefined ? null : usage[1],
    costUsd: cost === null ? null : Number(cost),
  };
}

/**
 * Streams a scope's stored decisions oldest first, in batches, with their usage: keyset
 * pagination on (time, id), so each batch costs one indexed range read however far in, and
 * memory holds two batches at most, whatever the range. A batch's usage is read by the same
 * time range (a request's two events share its start time) rather than joined row by row,
 * which would cost an index lookup per decision. The next batch is requested before the
 * caller works on the current one, so the database and the replay overlap. PostgreSQL reads
 * each batch with COPY instead (DecisionCopy), in the same order and batches.
 */
export class DecisionStream {
  private readonly batchSize: number;

  constructor(private readonly db: Knex, batchSize?: number) {
    this.batchSize =
      batchSize ??
      (isPostgres(db) ? DEFAULT_COPY_BATCH_SIZE : DEFAULT_BATCH_SIZE);
  }

  batches(scope: DecisionScope): AsyncGenerator<StoredDecision[]> {
    return isPostgres(this.db)
      ? new DecisionCopy(this.db, this.batchSize).batches(scope)
      : this.rowBatches(scope);
  }

  private async *rowBatches(
    scope: DecisionScope,
  ): AsyncGenerator<StoredDecision[]> {
    let next = this.decisions(scope, undefined);
    for (;;) {
      const rows = await next;
      if (rows.length === 0) return;
      const first = rows[0];
      const last = rows[rows.length - 1];
      next =
        rows.length < this.batchSize
          ? Promise.resolve([])
          : this.decisions(scope, {
              ts: Number(Array.isArray(last) ? last[AT.ts] : last.ts),
              id: Array.isArray(last) ? last[AT.id] : last.id,
            });
      // A batch given up by the caller must not leave a rejected promise unobserved.
      next.catch(() => {});
      const usage = await this.usage(
        scope,
        Number(Array.isArray(first) ? first[AT.ts] : first.ts),
        Number(Array.isArray(last) ? last[AT.ts] : last.ts),
      );
      yield rows.map(row => toDecision(row, id => usage.get(id)));
    }
  }

  private decisions(
    scope: DecisionScope,
    after: { ts: number; id: string } | undefined,
  ): Promise<any[]> {
    const query = this.db('platform_routing_decisions')
      .select([...DECISION_COLUMNS])
      .options({ rowMode: 'array' })
      .where('cell', scope.cell)
      .andWhere('ts', '>=', scope.from)
      .andWhere('ts', '<', scope.to)
      .orderBy([
        { column: 'ts', order: 'asc' },
        { column: 'id', order: 'asc' },
      ])
      .limit(this.batchSize);
    if (scope.agent !== undefined) query.where('agent', scope.agent);
    if (after) query.whereRaw('(ts, id) > (?, ?)', [after.ts, after.id]);
    return query;
  }

  /** The usage of the scope's requests that started in `[from, to]`, by request id. */
  private async usage(
    scope: DecisionScope,
    from: number,
    to: number,
  ): Promise<Map<string, Usage>> {
    const query = this.db('platform_usage_events')
      .select('request_id', 'input_tokens', 'output_tokens', 'cost_usd')
      .options({ rowMode: 'array' })
      .where('cell', scope.cell)
      .andWhere('ts', '>=', from)
      .andWhere('ts', '<=', to)
      .orderBy('id');
    if (scope.agent !== undefined) query.where('agent', scope.agent);
    const rows: any[] = await query;
    // A request whose usage came twice under two event ids counts once, with the lowest id's.
    const byRequest = new Map<string, Usage>();
    for (const row of rows) {
      const [requestId, usage]: [string, Usage] = Array.isArray(row)
        ? [row[0], [row[1], row[2], row[3]]]
        : [row.request_id, [row.input_tokens, row.output_tokens, row.cost_usd]];
      if (!byRequest.has(requestId)) byRequest.set(requestId, usage);
    }
    return byRequest;
  }
}
