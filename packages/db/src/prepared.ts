import type { Knex } from 'knex';
import type pg from 'pg';

/** A named statement: each connection parses and plans it once, at its first use. */
export interface PreparedStatement {
  name: string;
  text: string;
}

/** What knex's client offers to lend a connection of its pool (for PostgreSQL, a pg client). */
interface ConnectionLender {
  acquireConnection(): Promise<pg.ClientBase>;
  releaseConnection(connection: pg.ClientBase): Promise<unknown>;
}

/**
 * Runs a prepared statement on a connection of knex's pool, for the hottest reads: it skips
 * knex's query building and PostgreSQL's parsing and planning. Only for statements whose plan
 * cannot depend on the values or the data (PostgreSQL may reuse one generic plan for all), such
 * as a range of a unique index.
 */
export async function queryPrepared<Row extends pg.QueryResultRow>(
  db: Knex,
  statement: PreparedStatement,
  values: unknown[],
): Promise<Row[]> {
  const lender = db.client as ConnectionLender;
  const connection = await lender.acquireConnection();
  try {
    return (await connection.query<Row>({ ...statement, values })).rows;
  } finally {
    await lender.releaseConnection(connection);
  }
}
