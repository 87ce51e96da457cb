/*
 * Alerts received from Alertmanager's webhook: one row per alert (Alertmanager's fingerprint
 * of its label set), firing until Alertmanager says it resolved. A later firing of the same
 * label set reuses the row with its new start.
 */

// @ts-check

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.createTable('platform_alerts', table => {
    table.comment('Alerts posted by Alertmanager, deduplicated by fingerprint');
    table
      .string('fingerprint', 64)
      .primary()
      .comment("Alertmanager's fingerprint of the alert's label set");
    table.string('alertname', 255).notNullable();
    table.string('state', 16).notNullable().comment('firing | resolved');
    table.string('cell', 255).notNullable().comment('Cell name (label cell)');
    // Label values have no length limit: text, not varchar.
    table
      .text('tenant')
      .nullable()
      .comment('Tenant name, for single-tenant cells (label tenant)');
    table.text('service').nullable();
    table.text('slo').nullable();
    table.text('severity').nullable().comment('P0 | P1 | P2 | P3');
    table.text('owner').nullable().comment('Group entity ref');
    table.text('labels').notNullable().comment('All labels, JSON');
    table.text('annotations').notNullable().comment('All annotations, JSON');
    table.string('receiver', 255).notNullable();
    table.bigInteger('starts_at').notNullable();
    table.bigInteger('ends_at').nullable().comment('Set once resolved');
    table.bigInteger('updated_at').notNullable().comment('Last notification');
    table.index(['cell', 'state'], 'platform_alerts_cell_state_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('platform_alerts');
};
