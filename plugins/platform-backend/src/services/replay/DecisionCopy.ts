import { Knex } from 'knex';
import { CopyOut, PgClient } from './CopyOut';
import { CopyTextRow } from './CopyTextRow';
import type { DecisionScope, StoredDecision } from './DecisionStream';

/** What a COPY row holds, in order: the decision's columns, then its usage's. */
const COLUMNS = [
  'd.id',
  'd.ts',
  'd.tenant',
  'd.agent',
  'd.requested_model',
  'd.first_choice',
  'd.chosen',
  'd.drop_reasons',
  'd.error_class',
  'd.state_version',
  'd.features_version',
  'd.model_type',
  'd.classification',
  'd.complexity',
  'd.prompt_tokens',
  'd.prompt_token_bound',
  'd.prompt_images',
  'd.max_output_tokens',
  'd.choices',
  'd.required_capabilities',
  'd.remaining_budget_usd',
  'u.input_tokens',
  'u.output_tokens',
  'u.cost_usd',
] as const;

/** Position of each column in a COPY row. */
const AT = Object.fromEntries(COLUMNS.map((c, i) => [c, i])) as Record<
  (typeof COLUMNS)[number],
  number
>;

function safeInteger(value: number, what: string): number {
  if (!Number.isSafeInteger(value)) {
    throw new Error(`${what} must be an integer, got ${value}`);
  }
  return value;
}

/**
 * PostgreSQL's way of streaming a scope's decisions: the same keyset-paginated batches as
 * DecisionStream's, each read with `COPY … TO STDOUT` and decoded by CopyTextRow, with each
 * decision's usage joined in SQL (a request's decision and usage share its id, cell and start
 * time), so no request id crosses the wire. A million decisions cost a third of the Node
 * time of reading them as rows (bench/replay).
 */
export class DecisionCopy {
  constructor(private readonly db: Knex, private readonly batchSize: number) {}

  async *batches(scope: DecisionScope): AsyncGenerator<StoredDecision[]> {
    const reader = new CopyTextRow(COLUMNS.length);
    let next = this.batch(scope, undefined, reader);
    for (;;) {
      const { decisions, rows } = await next;
      if (decisions.length === 0) return;
      const last = decisions[decisions.length - 1];
      next =
        rows < this.batchSize
          ? Promise.resolve({ decisions: [], rows: 0 })
          : this.batch(scope, { ts: last.ts, id: last.id }, reader);
      // A batch given up by the caller must not leave a rejected promise unobserved.
      next.catch(() => {});
      yield decisions;
    }
  }

  /** One batch: its decisions, and how many rows the query returned (duplicates included). */
  private async batch(
    scope: DecisionScope,
    after: { ts: number; id: string } | undefined,
    reader: CopyTextRow,
  ): Promise<{ decisions: StoredDecision[]; rows: number }> {
    const client: PgClient = await this.db.client.acquireConnection();
    try {
      const decisions: StoredDecision[] = [];
      let rows = 0;
      const copy = new CopyOut(this.query(client, scope, after), row => {
        rows += 1;
        reader.read(row);
        const id = reader.text(AT['d.id'])!;
        // A request with two usage rows (a producer that sent its usage twice under two
        // event ids) joins twice: its decision counts once, with the usage of the lowest
        // event id, as DecisionStream's row reader picks.
        if (decisions.length > 0 && decisions[decisions.length - 1].id === id) {
          return;
        }
        decisions.push(toDecision(reader, id));
      });
      client.query(copy);
      await copy.done;
      return { decisions, rows };
    } finally {
      await this.db.client.releaseConnection(client);
    }
  }

  /** COPY takes no bind parameters: values are escaped by the driver or checked as integers. */
  private query(
    client: PgClient,
    scope: DecisionScope,
    after: { ts: number; id: string } | undefined,
  ): string {
    const from = safeInteger(scope.from, 'from');
    const to = safeInteger(scope.to, 'to');
    const conditions = [
      `d.cell = ${client.escapeLiteral(scope.cell)}`,
      `d.ts >= ${from}`,
      `d.ts < ${to}`,
    ];
    if (scope.agent !== undefined) {
      conditions.push(`d.agent = ${client.escapeLiteral(scope.agent)}`);
    }
    let usageFrom = from;
    const usageAgent =
      scope.agent === undefined
        ? ''
        : ` AND u.agent = ${client.escapeLiteral(scope.agent)}`;
    if (after) {
      usageFrom = safeInteger(after.ts, 'ts');
      conditions.push(
        `(d.ts, d.id) > (${usageFrom}, ${client.escapeLiteral(after.id)})`,
      );
    }
    return `COPY (SELECT ${COLUMNS.join(', ')}
      FROM platform_routing_decisions d
      LEFT JOIN platform_usage_events u
        ON u.request_id = d.request_id AND u.cell = d.cell AND u.ts = d.ts
          AND u.ts >= ${usageFrom}${usageAgent}
      WHERE ${conditions.join(' AND ')}
      ORDER BY d.ts, d.id, u.id
      LIMIT ${safeInteger(this.batchSize, 'batch size')}) TO STDOUT`;
  }
}

/** The row `reader` holds as a StoredDecision, in the field order DecisionStream's has. */
function toDecision(reader: CopyTextRow, id: string): StoredDecision {
  return {
    id,
    ts: reader.integer(AT['d.ts'])!,
    tenant: reader.internedText(AT['d.tenant'])!,
    agent: reader.internedText(AT['d.agent']),
    requestedModel: reader.internedText(AT['d.requested_model'])!,
    firstChoice: reader.internedText(AT['d.first_choice']),
    chosen: reader.internedText(AT['d.chosen']),
    dropReasons: reader.internedText(AT['d.drop_reasons'])!,
    errorClass: reader.internedText(AT['d.error_class']),
    stateVersion: reader.internedText(AT['d.state_version'])!,
    featuresVersion: reader.integer(AT['d.features_version']),
    modelType: reader.internedText(AT['d.model_type']),
    classification: reader.internedText(AT['d.classification']),
    complexity: reader.float(AT['d.complexity']),
    promptTokens: reader.integer(AT['d.prompt_tokens']),
    promptTokenBound: reader.integer(AT['d.prompt_token_bound']),
    promptImages: reader.integer(AT['d.prompt_images']),
    maxOutputTokens: reader.integer(AT['d.max_output_tokens']),
    choices: reader.integer(AT['d.choices']),
    requiredCapabilities: reader.internedText(AT['d.required_capabilities']),
    remainingBudgetUsd: reader.float(AT['d.remaining_budget_usd']),
    inputTokens: reader.integer(AT['u.input_tokens']),
    outputTokens: reader.integer(AT['u.output_tokens']),
    costUsd: reader.float(AT['u.cost_usd']),
  };
}
