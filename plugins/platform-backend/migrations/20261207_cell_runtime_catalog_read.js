/*
 * When the catalog view behind a cell's last push was read: a replica whose view is older
 * reads the catalog again before it pushes, so pushes from several replicas land in the
 * order of the catalog views they were computed from (ReconcilerService).
 */

// @ts-check

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.alterTable('platform_cell_runtime', table => {
    table
      .bigInteger('catalog_read_at')
      .nullable()
      .comment('Epoch ms the catalog view of the last push was read at');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('platform_cell_runtime', table => {
    table.dropColumn('catalog_read_at');
  });
};
