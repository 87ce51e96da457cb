/*
 * One-time reveals of API keys the scaffolder created. A row holds the key encrypted with a
 * key derived from the reveal token, which is never stored: the row alone cannot give the key
 * back, and the token alone is useless once the row is gone. A reveal deletes its row.
 */

// @ts-check

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.createTable('platform_api_key_reveals', table => {
    table.comment(
      'Sealed API keys waiting to be revealed once to whoever created them',
    );
    table
      .string('id', 64)
      .primary()
      .comment('SHA-256 of the reveal token (hex)');
    table.string('tenant', 255).notNullable().comment('Tenant entity ref');
    table.string('agent', 255).nullable().comment('Agent the key is bound to');
    table.string('key_prefix', 16).notNullable();
    table
      .string('for_user', 255)
      .nullable()
      .comment(
        'User entity ref allowed to reveal; null: platform.runtime.manage',
      );
    table
      .text('sealed')
      .notNullable()
      .comment('AES-256-GCM: iv, tag, ciphertext (base64url)');
    table.bigInteger('created_at').notNullable();
    table.bigInteger('expires_at').notNullable();
    table.index(['expires_at'], 'platform_api_key_reveals_expiry_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('platform_api_key_reveals');
};
