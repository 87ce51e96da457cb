/*
 * The deploy driver's audit log: one row per apply attempt (applied, failed or refused), who
 * asked, what it did to each object, and the override reason when the error budget was spent.
 * Rows are only ever inserted; the code has no path that updates or deletes them.
 *
 * The log began as `platform_deploy_audit` in the platform backend's database (its migration
 * 20261124_deploy_audit). Rows written there before the driver became a plugin of its own stay
 * there: the platform backend still reads their first applies for GPU cost; this log starts
 * empty.
 */

// @ts-check

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.createTable('deploy_audit', table => {
    table.comment('Append-only: every apply of a Cell or InferenceDeployment');
    table.increments('id').primary();
    table
      .bigInteger('at')
      .notNullable()
      .comment('Epoch milliseconds when the attempt ended');
    table
      .string('actor', 255)
      .notNullable()
      .comment('User entity ref, or service:<subject>');
    table.string('entity_ref', 255).notNullable();
    table.string('cluster', 255).notNullable();
    table
      .string('result', 16)
      .notNullable()
      .comment('applied | failed | refused');
    table.text('message').nullable();
    table.text('override_reason').nullable();
    table
      .text('error_budgets')
      .notNullable()
      .comment('JSON: availability objectives and their remaining budget');
    table.text('counts').notNullable().comment('JSON: outcome counts');
    table.text('objects').notNullable().comment('JSON: per-object results');
    table.index(['entity_ref', 'id'], 'deploy_audit_entity_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('deploy_audit');
};
