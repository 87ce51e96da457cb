/*
 * The keys the portal issued for catalog annotations. A Tenant's or Agent's
 * `cellport.dev/api-keys` is text anyone who can push to its repository can change, so an
 * annotated key is served only when a row here says the portal issued it to that tenant and
 * agent. Keys annotated before this table existed are adopted once, on the first pass that
 * reads the catalog (`platform_api_key_adoption`), so an upgrade takes no key out of service.
 */

// @ts-check

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.createTable('platform_api_key_issues', table => {
    table.comment('API keys the portal issued for catalog annotations: hashes');
    table.string('sha256', 64).primary().comment('SHA-256 of the key (hex)');
    table.string('key_prefix', 16).notNullable();
    table.string('tenant', 255).notNullable().comment('Tenant name');
    table.string('agent', 255).nullable().comment('Agent the key is bound to');
    table
      .string('issued_by', 255)
      .nullable()
      .comment('User entity ref the key was sealed for; null: adopted');
    table.bigInteger('issued_at').notNullable();
  });
  await knex.schema.createTable('platform_api_key_adoption', table => {
    table.comment(
      'Whether the keys annotated before issues were kept are adopted',
    );
    table.string('id', 16).primary();
    table
      .bigInteger('adopted_at')
      .nullable()
      .comment('When the catalog keys of the time were recorded as issued');
  });
  await knex('platform_api_key_adoption').insert({
    id: 'catalog',
    adopted_at: null,
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('platform_api_key_adoption');
  await knex.schema.dropTable('platform_api_key_issues');
};
