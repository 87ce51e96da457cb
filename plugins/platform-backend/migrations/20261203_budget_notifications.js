/*
 * Budget thresholds already announced: one row per subject (a tenant or an agent), month and
 * threshold, so each owner hears of 80% and 100% once per month, whichever replica checks.
 */

// @ts-check

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.createTable('platform_budget_notifications', table => {
    table.comment('Budget thresholds announced to owners, once per month each');
    table.string('subject_kind', 16).notNullable().comment('tenant | agent');
    table.string('subject', 255).notNullable().comment('Entity name');
    table.string('period', 7).notNullable().comment('Month, YYYY-MM (UTC)');
    table
      .integer('threshold_percent')
      .notNullable()
      .comment('80 or 100: the share of the monthly budget crossed');
    table.double('used_fraction').notNullable().comment('When announced');
    table.bigInteger('announced_at').notNullable();
    table.primary(
      ['subject_kind', 'subject', 'period', 'threshold_percent'],
      'platform_budget_notifications_pk',
    );
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('platform_budget_notifications');
};
