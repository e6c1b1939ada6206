import type { Knex } from 'knex';
// Only for `down`: the versions this one replaces, exactly as they were merged.
import { up as createFirst } from './20261126000500_write_messages_function';
import { up as createSecond } from './20261126000600_streamline_write_messages_function';

// parley_write_messages keeps its generic plan for the life of the writer's connection: a plan
// made for the table as it was at the connection's first batch, and for a batch of ~10 drafts
// (a generic plan cannot see the arrays' length). Two ways that went wrong:
// 1. Made while `messages` was small, the plan looked up earlier clientIds with a hash join over
//    a sequential scan of the whole table: every batch then read every message ever written (one
//    connection: 0.8 ms per 5-message batch at 0 rows, 5 ms at 22,000, 21 ms at 154,000; a new
//    connection stayed at 0.8 ms). The lookup is now a lateral subquery per draft (LIMIT 1 keeps it
//    from being flattened into a join) and sequential scans are off, so it can only be a scan of
//    the unique index on (room_id, user_id, client_id).
// 2. Sized for ~10 drafts, it joined the batch's own sets (candidates, numbered, inserted) in
//    nested loops, which grow with the square of the batch: ~15 of the 31 ms of a 500-message
//    batch. Nested loops are off (the lateral lookup has no other plan and keeps its own); the
//    seq reservation reaches its rooms through the primary key (`= ANY (live_rooms)`), not by
//    joining every room. Disabled plans count as hugely expensive, so JIT (which would then
//    compile every call, ~0.8 s) is off too.
// PostgreSQL 15 here, one connection, 0 → 60,000 rows: 500 drafts 31–43 → 15–18 ms per batch,
// 5 drafts 0.9–1.3 → 0.8–1.1 ms. Same semantics.

const ISO = `to_char(%s AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE OR REPLACE FUNCTION parley_write_messages(
      p_room_ids integer[], p_user_ids integer[], p_usernames text[], p_contents text[],
      p_client_ids text[]
    ) RETURNS TABLE (
      ord integer, outcome text, id bigint, room_id integer, seq bigint, username text,
      content text, client_id text, "timestamp" text
    )
    LANGUAGE plpgsql
    SET plan_cache_mode = force_generic_plan
    SET enable_seqscan = off
    SET enable_nestloop = off
    SET jit = off
    AS $$
    #variable_conflict use_column
    DECLARE
      live_rooms integer[];
    BEGIN
      SELECT coalesce(array_agg(locked.id), '{}') INTO live_rooms FROM (
        SELECT c.id FROM chat_rooms c WHERE c.id = ANY (p_room_ids) ORDER BY c.id FOR UPDATE
      ) locked;

      RETURN QUERY
      WITH input AS (
        SELECT i.ord::integer AS ord, i.room_id, i.user_id, i.username, i.content, i.client_id
        FROM unnest(p_room_ids, p_user_ids, p_usernames, p_contents, p_client_ids)
          WITH ORDINALITY AS i(room_id, user_id, username, content, client_id, ord)
      ),
      live AS (
        SELECT l.* FROM input l WHERE l.room_id = ANY (live_rooms)
      ),
      existing AS (
        SELECT l.ord, m.* FROM live l CROSS JOIN LATERAL (
          SELECT * FROM messages x
          WHERE x.room_id = l.room_id AND x.user_id = l.user_id AND x.client_id = l.client_id
          LIMIT 1
        ) m
      ),
      candidates AS (
        SELECT l.*, first_value(l.ord) OVER (
            PARTITION BY l.room_id, l.user_id, coalesce(l.client_id, '#' || l.ord) ORDER BY l.ord
          ) AS first_ord
        FROM live l WHERE NOT EXISTS (SELECT 1 FROM existing e WHERE e.ord = l.ord)
      ),
      fresh AS (
        SELECT f.*, row_number() OVER (PARTITION BY f.room_id ORDER BY f.ord) AS n
        FROM candidates f WHERE f.ord = f.first_ord
      ),
      reserved AS (
        UPDATE chat_rooms r SET last_seq = r.last_seq + f.count
        FROM (SELECT x.room_id, count(*) AS count FROM fresh x GROUP BY x.room_id) f
        WHERE r.id = f.room_id AND r.id = ANY (live_rooms)
        RETURNING r.id, r.last_seq - f.count AS base
      ),
      numbered AS (
        SELECT f.ord, f.room_id, r.base + f.n AS seq, f.user_id, f.username, f.content, f.client_id
        FROM fresh f JOIN reserved r ON r.id = f.room_id
      ),
      inserted AS (
        INSERT INTO messages (room_id, seq, user_id, username, content, client_id)
        SELECT n.room_id, n.seq, n.user_id, n.username, n.content, n.client_id
        FROM numbered n ORDER BY n.room_id, n.seq
        RETURNING *
      ),
      notified AS MATERIALIZED (
        SELECT parley_notify_messages(
          array_agg(i.room_id ORDER BY i.room_id, i.seq),
          array_agg(i.seq ORDER BY i.room_id, i.seq),
          array_agg(json_build_object(
            'id', i.id, 'roomId', i.room_id, 'seq', i.seq, 'username', i.username,
            'content', i.content, 'timestamp', ${ISO.replace('%s', 'i."timestamp"')},
            'clientId', i.client_id)::text ORDER BY i.room_id, i.seq)
        ) AS events
        FROM inserted i
      ),
      results AS (
        SELECT c.ord, CASE WHEN c.ord = c.first_ord THEN 'new' ELSE 'repeat' END AS outcome,
          i.id, i.room_id, i.seq, i.username, i.content, i.client_id, i."timestamp"
        FROM candidates c
        JOIN numbered n ON n.ord = c.first_ord
        JOIN inserted i ON i.room_id = n.room_id AND i.seq = n.seq
        UNION ALL
        SELECT e.ord, 'repeat', e.id, e.room_id, e.seq, e.username, e.content, e.client_id,
          e."timestamp"
        FROM existing e
      )
      SELECT r.ord, r.outcome, r.id, r.room_id, r.seq, r.username, r.content, r.client_id,
        ${ISO.replace('%s', 'r."timestamp"')}
      FROM results r CROSS JOIN notified
      UNION ALL
      SELECT l.ord, 'room_gone', NULL, l.room_id, NULL, NULL, NULL, NULL, NULL
      FROM input l WHERE NOT (l.room_id = ANY (live_rooms))
      ORDER BY 1;
    END
    $$;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP FUNCTION parley_write_messages(integer[], integer[], text[], text[], text[]);
    DROP FUNCTION parley_notify_messages(integer[], bigint[], text[]);
  `);
  await createFirst(knex);
  await createSecond(knex);
}
