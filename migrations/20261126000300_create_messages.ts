import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('messages', (table) => {
    table.bigIncrements('id').primary({ constraintName: 'messages_pkey' });
    table
      .integer('room_id')
      .notNullable()
      .references('id')
      .inTable('chat_rooms')
      .onDelete('CASCADE')
      .withKeyName('messages_room_id_foreign');
    table.bigInteger('seq').notNullable();
    table
      .integer('user_id')
      .nullable()
      .references('id')
      .inTable('users')
      .onDelete('SET NULL')
      .withKeyName('messages_user_id_foreign');
    table.text('username').notNullable();
    table.text('content').notNullable();
    table.text('client_id').nullable();
    table.timestamp('timestamp', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    // Serves history by (room_id, seq) and guarantees one message per seq.
    table.unique(['room_id', 'seq'], { indexName: 'messages_room_id_seq_unique' });
    // Idempotent sends: a sender's client_id is used once per room (NULLs never collide).
    table.unique(['room_id', 'user_id', 'client_id'], {
      indexName: 'messages_room_id_user_id_client_id_unique',
    });
    table.index(['user_id'], 'messages_user_id_index');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('messages');
}
