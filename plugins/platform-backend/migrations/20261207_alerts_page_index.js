/*
 * `GET /alerts` pages newest first on (starts_at, fingerprint) with a keyset cursor: without
 * an index on that key, each page sorts every alert the filters leave.
 */

// @ts-check

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.alterTable('platform_alerts', table => {
    table.index(['starts_at', 'fingerprint'], 'platform_alerts_page_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('platform_alerts', table => {
    table.dropIndex(['starts_at', 'fingerprint'], 'platform_alerts_page_idx');
  });
};
