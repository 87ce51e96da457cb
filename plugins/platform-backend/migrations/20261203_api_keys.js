/*
 * API keys the portal keeps itself: keys minted by a rotation (their SHA-256 and prefix only,
 * never the key), and rotations, which give a key of any origin (a catalog annotation or a
 * minted key) the time it stops working. The reconciler merges both with the catalog's keys.
 */

// @ts-check

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.createTable('platform_api_keys', table => {
    table.comment('API keys minted by the portal (rotations): hashes only');
    table.string('sha256', 64).primary().comment('SHA-256 of the key (hex)');
    table.string('key_prefix', 16).notNullable();
    table.string('tenant', 255).notNullable().comment('Tenant name');
    table.string('agent', 255).nullable().comment('Agent the key is bound to');
    table.string('created_by', 255).notNullable().comment('User entity ref');
    table.bigInteger('created_at').notNullable();
    table.index(['tenant'], 'platform_api_keys_tenant_idx');
  });
  await knex.schema.createTable('platform_api_key_rotations', table => {
    table.comment('Keys rotated out: each works until expires_at');
    table
      .string('sha256', 64)
      .primary()
      .comment('SHA-256 of the rotated-out key; one rotation per key');
    table
      .string('replaced_by', 64)
      .notNullable()
      .comment('SHA-256 of the key minted in its place');
    table.string('rotated_by', 255).notNullable().comment('User entity ref');
    table.bigInteger('rotated_at').notNullable();
    table.bigInteger('expires_at').notNullable();
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('platform_api_key_rotations');
  await knex.schema.dropTable('platform_api_keys');
};
