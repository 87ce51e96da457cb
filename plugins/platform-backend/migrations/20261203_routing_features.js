/*
 * The routing features each decision was made from (RoutingDecision.features), in columns, so
 * a replay streams decisions and re-derives their routes without parsing their JSON bodies.
 * Decisions stored before this migration keep features_version NULL; what they did record
 * (complexity, prompt estimate, capabilities, the route ranked first) is copied out of their
 * bodies here, so they replay with what they have.
 */

// @ts-check

const TABLE = 'platform_routing_decisions';

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

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.alterTable(TABLE, table => {
    table
      .integer('features_version')
      .nullable()
      .comment('RoutingFeatures version; NULL for decisions recorded before');
    table.string('model_type', 16).nullable();
    table.string('classification', 16).nullable();
    table.double('complexity').nullable();
    table
      .integer('prompt_tokens')
      .nullable()
      .comment('The estimated prompt tokens the router checked context with');
    table.integer('prompt_token_bound').nullable();
    table.integer('max_output_tokens').nullable();
    table.integer('choices').nullable();
    table
      .string('required_capabilities', 255)
      .nullable()
      .comment("'tools,vision'; '' for none");
    table.double('remaining_budget_usd').nullable();
    table
      .string('first_choice', 255)
      .nullable()
      .comment('The profile the router ranked first; NULL when it refused');
  });
  if (isPostgres(knex)) {
    // Covering indexes: a replay streams a cell's decisions and their usage in (time, id)
    // order by index-only scans, never reading the wide rows (a decision's JSON body is
    // about 1 KB): ten times fewer pages for a million decisions.
    await knex.raw(
      `CREATE INDEX platform_decisions_replay_idx ON ${TABLE} (cell, ts, id) INCLUDE (${REPLAY_COLUMNS.join(
        ', ',
      )})`,
    );
    await knex.raw(
      // The usage a replay reads: tokens and cost, and each profile's observed latency.
      `CREATE INDEX platform_usage_replay_idx ON platform_usage_events (cell, ts) INCLUDE (agent, request_id, input_tokens, output_tokens, cost_usd, model_profile, outcome, upstream_ms)`,
    );
  } else {
    await knex.schema.alterTable(TABLE, table => {
      table.index(['cell', 'ts', 'id'], 'platform_decisions_replay_idx');
    });
    await knex.schema.alterTable('platform_usage_events', table => {
      table.index(['cell', 'ts'], 'platform_usage_replay_idx');
    });
  }
  if (isPostgres(knex)) {
    await knex.raw(`
      UPDATE ${TABLE} SET
        complexity = (body::json->>'complexityScore')::double precision,
        prompt_tokens = (body::json->>'estimatedInputTokens')::integer,
        required_capabilities = COALESCE((
          SELECT string_agg(value, ',')
          FROM json_array_elements_text(body::json->'requiredCapabilities')), ''),
        first_choice = (
          SELECT c->>'modelProfile' FROM json_array_elements(body::json->'candidates') c
          WHERE c->>'rank' = '0' LIMIT 1)`);
  } else {
    await knex.raw(`
      UPDATE ${TABLE} SET
        complexity = json_extract(body, '$.complexityScore'),
        prompt_tokens = json_extract(body, '$.estimatedInputTokens'),
        required_capabilities = COALESCE((
          SELECT group_concat(value, ',')
          FROM json_each(body, '$.requiredCapabilities')), ''),
        first_choice = (
          SELECT json_extract(value, '$.modelProfile') FROM json_each(body, '$.candidates')
          WHERE json_extract(value, '$.rank') = 0 LIMIT 1)`);
  }
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('platform_usage_events', table => {
    table.dropIndex(['cell', 'ts'], 'platform_usage_replay_idx');
  });
  await knex.schema.alterTable(TABLE, table => {
    table.dropIndex(['cell', 'ts', 'id'], 'platform_decisions_replay_idx');
    for (const column of [
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
      'first_choice',
    ]) {
      table.dropColumn(column);
    }
  });
};
