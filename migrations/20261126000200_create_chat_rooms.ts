import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // Trigram index: substring search on room names without a sequential scan.
  await knex.raw('CREATE EXTENSION IF NOT EXISTS pg_trgm');
  await knex.schema.createTable('chat_rooms', (table) => {
    table.increments('id').primary({ constraintName: 'chat_rooms_pkey' });
    table.text('name').notNullable().unique({ indexName: 'chat_rooms_name_unique' });
    table
      .integer('owner_id')
      .notNullable()
      .references('id')
      .inTable('users')
      .withKeyName('chat_rooms_owner_id_foreign');
    // The last seq handed out in this room; messages take last_seq + 1 under this row's lock.
    table.bigInteger('last_seq').notNullable().defaultTo(0);
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.index(['owner_id'], 'chat_rooms_owner_id_index');
  });
  await knex.raw(
    'CREATE INDEX chat_rooms_name_trgm_index ON chat_rooms USING gin (name gin_trgm_ops)',
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('chat_rooms');
  // pg_trgm is left installed: other objects in the database may use it.
}
