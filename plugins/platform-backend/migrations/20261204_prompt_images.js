/*
 * The number of images in each decision's prompt (RoutingFeatures.promptImages), in a column
 * beside the other features, so that a replay prices an image at what each profile bills for
 * one. Decisions stored before keep NULL: their prompts are replayed as they were priced then,
 * every image at the default allowance.
 */

// @ts-check

const TABLE = 'platform_routing_decisions';
const INDEX = 'platform_decisions_replay_idx';

/** What a replay reads of a decision besides its key (src/services/replay/DecisionStream.ts). */
const REPLAY_COLUMNS = [
  'request_id',
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
  'max_output_tokens',
  'choices',
  'required_capabilities',
  'remaining_budget_usd',
];

/** @param {import('knex').Knex} knex */
function isPostgres(knex) {
  const client = knex.client.config.client;
  return client === 'pg' || client === 'postgres' || client === 'postgresql';
}

/**
 * Builds the covering index a replay scans, with the given columns, beside the one in place,
 * then swaps them: CONCURRENTLY, so that ingest keeps writing decisions while a large table is
 * indexed. PostgreSQL only: other databases index (cell, ts, id) alone and read the rows.
 *
 * @param {import('knex').Knex} knex
 * @param {string[]} columns
 */
async function replaceReplayIndex(knex, columns) {
  const building = `${INDEX}_next`;
  await knex.raw(`DROP INDEX CONCURRENTLY IF EXISTS ${building}`);
  await knex.raw(
    `CREATE INDEX CONCURRENTLY ${building} ON ${TABLE} (cell, ts, id) INCLUDE (${columns.join(
      ', ',
    )})`,
  );
  await knex.raw(`DROP INDEX CONCURRENTLY IF EXISTS ${INDEX}`);
  await knex.raw(`ALTER INDEX ${building} RENAME TO ${INDEX}`);
}

// CREATE INDEX CONCURRENTLY cannot run inside a transaction.
exports.config = { transaction: false };

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  if (!(await knex.schema.hasColumn(TABLE, 'prompt_images'))) {
    await knex.schema.alterTable(TABLE, table => {
      table
        .integer('prompt_images')
        .nullable()
        .comment('Images in the prompt; NULL for decisions recorded before');
    });
  }
  if (isPostgres(knex)) {
    await replaceReplayIndex(knex, [...REPLAY_COLUMNS, 'prompt_images']);
  }
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable(TABLE, table => {
    table.dropColumn('prompt_images');
  });
  if (isPostgres(knex)) {
    // Dropping the column dropped the index that included it.
    await replaceReplayIndex(knex, REPLAY_COLUMNS);
  }
};
