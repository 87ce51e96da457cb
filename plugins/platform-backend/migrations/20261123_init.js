/*
 * Cellport platform database: raw runtime events, their rollups and the reconciler's per-cell
 * record. Times are stored as integers (epoch milliseconds for raw events, epoch minutes for
 * rollup buckets) so that SQLite and PostgreSQL compare and index them the same way.
 */

// @ts-check

/** Error classes of the event contract; each gets a counter column in the rollups. */
const ERROR_CLASSES = [
  'invalid-request',
  'unauthorized',
  'forbidden',
  'not-found',
  'rate-limited',
  'budget-exhausted',
  'upstream-error',
  'upstream-timeout',
  'upstream-unavailable',
  'client-cancelled',
  'internal',
];

/** Latency histograms kept per rollup row; src/services/rollups/histogram.ts names the bounds. */
const HISTOGRAM_METRICS = ['overhead', 'upstream', 'ttft', 'router'];
const HISTOGRAM_BUCKETS = 26;

/** @param {import('knex').Knex.CreateTableBuilder} table */
function rollupColumns(table) {
  table
    .integer('bucket')
    .notNullable()
    .comment('Epoch minutes of the bucket start (UTC)');
  table.string('cell', 255).notNullable();
  table.string('tenant', 255).notNullable();
  table
    .string('agent', 255)
    .notNullable()
    .comment("'' when the request named no agent");
  table
    .string('model_profile', 255)
    .notNullable()
    .comment("'' when no route was chosen");
  table.string('outcome', 16).notNullable();
  table.integer('demo').notNullable().comment('1 for backfilled demo history');
  // Counts are 32-bit: a row covers one key for at most a day, and PostgreSQL sums int4
  // with an int8 accumulator, much faster than the numeric one it uses for int8.
  table.integer('requests').notNullable().defaultTo(0);
  table.integer('decisions').notNullable().defaultTo(0);
  table.integer('fallbacks').notNullable().defaultTo(0);
  table.integer('cached').notNullable().defaultTo(0);
  table.bigInteger('input_tokens').notNullable().defaultTo(0);
  table.bigInteger('output_tokens').notNullable().defaultTo(0);
  table.double('cost_usd').notNullable().defaultTo(0);
  for (const errorClass of ERROR_CLASSES) {
    table
      .integer(`err_${errorClass.replace(/-/g, '_')}`)
      .notNullable()
      .defaultTo(0);
  }
  for (const metric of HISTOGRAM_METRICS) {
    for (let i = 0; i < HISTOGRAM_BUCKETS; i++) {
      table.integer(`h_${metric}_${i}`).notNullable().defaultTo(0);
    }
  }
  table.primary([
    'bucket',
    'cell',
    'tenant',
    'agent',
    'model_profile',
    'outcome',
    'demo',
  ]);
}

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.createTable('platform_routing_decisions', table => {
    table.comment('One row per RoutingDecision, kept for the retention period');
    table.string('id', 128).primary();
    table.string('request_id', 128).notNullable();
    table.bigInteger('ts').notNullable().comment('Epoch milliseconds');
    table.string('gateway', 128).notNullable();
    table.string('cell', 255).notNullable();
    table.string('tenant', 255).notNullable();
    table.string('agent', 255).nullable();
    table.string('requested_model', 200).notNullable();
    table.string('chosen', 255).nullable();
    table.string('policy', 16).notNullable();
    table.string('outcome', 16).notNullable();
    table.string('error_class', 32).nullable();
    table.boolean('fell_back').notNullable();
    table
      .string('drop_reasons', 255)
      .notNullable()
      .comment("',residency,budget,' for LIKE filters");
    table.double('router_ms').notNullable();
    table.string('state_version', 64).notNullable();
    table.boolean('demo').notNullable();
    table.text('body').notNullable().comment('The decision as received, JSON');
    table.index(['ts', 'id'], 'platform_decisions_ts_idx');
    table.index(['cell', 'ts'], 'platform_decisions_cell_ts_idx');
    table.index(['tenant', 'ts'], 'platform_decisions_tenant_ts_idx');
  });

  await knex.schema.createTable('platform_usage_events', table => {
    table.comment('One row per UsageEvent, kept for the retention period');
    table.string('id', 128).primary();
    table.string('request_id', 128).notNullable();
    table.bigInteger('ts').notNullable().comment('Epoch milliseconds');
    table.string('gateway', 128).notNullable();
    table.string('cell', 255).notNullable();
    table.string('tenant', 255).notNullable();
    table.string('agent', 255).nullable();
    table.string('model_profile', 255).nullable();
    table.string('provider', 64).nullable();
    table.string('outcome', 16).notNullable();
    table.string('error_class', 32).nullable();
    table.integer('status').notNullable();
    table.boolean('stream').notNullable();
    table.integer('input_tokens').notNullable();
    table.integer('output_tokens').notNullable();
    table.boolean('tokens_estimated').notNullable();
    table.double('cost_usd').notNullable();
    table.boolean('cached').notNullable();
    table.double('gateway_overhead_ms').notNullable();
    table.double('upstream_ms').nullable();
    table.double('ttft_ms').nullable();
    table.double('total_ms').notNullable();
    table.string('state_version', 64).notNullable();
    table.boolean('demo').notNullable();
    table.index(['ts'], 'platform_usage_ts_idx');
    table.index(['request_id'], 'platform_usage_request_idx');
  });

  for (const granularity of ['minute', 'hour', 'day']) {
    await knex.schema.createTable(`platform_rollups_${granularity}`, table => {
      table.comment(`Per-${granularity} sums of usage and routing decisions`);
      rollupColumns(table);
      table.index(
        ['cell', 'bucket'],
        `platform_rollups_${granularity}_cell_idx`,
      );
      table.index(
        ['tenant', 'bucket'],
        `platform_rollups_${granularity}_tenant_idx`,
      );
      table.index(
        ['agent', 'bucket'],
        `platform_rollups_${granularity}_agent_idx`,
      );
    });
    if (knex.client.config.client === 'pg') {
      // Ingest adds into recent rollup rows over and over; free space on each page lets
      // PostgreSQL update them in place (HOT) without touching the indexes.
      await knex.raw(
        `ALTER TABLE platform_rollups_${granularity} SET (fillfactor = 70)`,
      );
    }
  }

  await knex.schema.createTable('platform_cell_runtime', table => {
    table.comment(
      'What the reconciler last computed, pushed and saw per cell gateway',
    );
    table.string('cell', 255).primary();
    table.string('gateway_url', 1024).nullable();
    table.string('desired_version', 64).nullable();
    table.text('desired_state').nullable();
    table.string('pushed_version', 64).nullable();
    table.string('remote_version', 64).nullable();
    table
      .boolean('drift')
      .notNullable()
      .defaultTo(false)
      .comment(
        'At the last check the gateway ran a version other than the one last pushed',
      );
    table.bigInteger('last_drift_at').nullable();
    table.bigInteger('last_attempt_at').nullable();
    table.bigInteger('last_success_at').nullable();
    table.text('last_error').nullable();
    table.bigInteger('last_error_at').nullable();
    table.integer('consecutive_failures').notNullable().defaultTo(0);
    table.bigInteger('next_attempt_at').nullable();
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('platform_cell_runtime');
  for (const granularity of ['minute', 'hour', 'day']) {
    await knex.schema.dropTable(`platform_rollups_${granularity}`);
  }
  await knex.schema.dropTable('platform_usage_events');
  await knex.schema.dropTable('platform_routing_decisions');
};
