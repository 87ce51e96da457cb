/*
 * How many GPUs each InferenceDeployment actually held, sampled from its cluster by the deploy
 * driver's rollout status. GPU cost integrates these instead of assuming the catalog's minimum
 * replicas, so autoscaling and stuck rollouts show up in the bill.
 */

// @ts-check

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.createTable('platform_gpu_replica_samples', table => {
    table.comment(
      'GPUs held by an InferenceDeployment at a moment, read from its cluster',
    );
    table.increments('id').primary();
    table
      .string('deployment', 255)
      .notNullable()
      .comment('InferenceDeployment name');
    table.string('cell', 255).notNullable();
    table.string('gpu_type', 32).notNullable();
    table
      .integer('replicas')
      .notNullable()
      .comment(
        'Pods of its vLLM Deployments, ready or not: each holds its GPUs',
      );
    table.integer('gpus').notNullable().comment('replicas × GPUs per replica');
    table.bigInteger('at').notNullable().comment('Epoch milliseconds');
    table.index(['deployment', 'at'], 'platform_gpu_replica_samples_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('platform_gpu_replica_samples');
};
