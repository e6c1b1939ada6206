import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // Logged-out sessions until their JWT would have expired anyway.
  await knex.schema.createTable('revoked_tokens', (table) => {
    table.uuid('jti').primary({ constraintName: 'revoked_tokens_pkey' });
    table
      .integer('user_id')
      .notNullable()
      .references('id')
      .inTable('users')
      .onDelete('CASCADE')
      .withKeyName('revoked_tokens_user_id_foreign');
    table.timestamp('expires_at', { useTz: true }).notNullable();
    table.index(['expires_at'], 'revoked_tokens_expires_at_index');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('revoked_tokens');
}
