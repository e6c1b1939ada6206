import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('users', (table) => {
    table.increments('id').primary({ constraintName: 'users_pkey' });
    table.text('email').notNullable();
    table.text('username').notNullable();
    table.text('hashed_password').notNullable();
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  // Case-insensitive uniqueness: "Ann@x.org" and "ann@x.org" are the same account. lower() under
  // the ICU root collation folds every script, whatever the database's own locale (under "C" it
  // would fold ASCII only, and "ĐẶNG" and "đặng" could both register).
  await knex.raw(
    'CREATE UNIQUE INDEX users_email_lower_unique ON users (lower(email COLLATE "und-x-icu"))',
  );
  await knex.raw(
    'CREATE UNIQUE INDEX users_username_lower_unique ON users (lower(username COLLATE "und-x-icu"))',
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('users');
}
