/*
 * Replay jobs, kept in the database so that every backend replica answers for every job: the
 * replica that started one runs it and writes its progress and result here; any replica reads
 * it, and cancels it by ending its row, which the running replica notices at its next batch.
 */

// @ts-check

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.createTable('platform_replay_jobs', table => {
    table.comment('Routing replays: state, progress and result');
    table.string('id', 36).primary().comment('UUID');
    table
      .string('state', 16)
      .notNullable()
      .comment('running, done, failed or cancelled');
    table.text('scope').notNullable().comment('JSON: cell, agent, from, to');
    table.text('progress').notNullable().comment('JSON: decisions, through');
    table.text('result').nullable().comment('JSON: the replay result');
    table.text('error').nullable().comment('Why it failed, for people');
    table
      .string('runner', 64)
      .notNullable()
      .comment('The backend instance running it');
    table.bigInteger('created_at').notNullable();
    table
      .bigInteger('heartbeat_at')
      .notNullable()
      .comment('Last sign of life from its runner');
    table.bigInteger('finished_at').nullable();
    table.index(['state'], 'platform_replay_jobs_state_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('platform_replay_jobs');
};
