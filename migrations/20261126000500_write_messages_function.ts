import type { Knex } from 'knex';

// The chat service's group commit in one round trip. The batch used to be seven statements from
// the client (BEGIN, lock, clientId lookup, seq reservation, INSERT, NOTIFY, COMMIT); the knex and
// pg work around them was most of a chat node's CPU per message, and PostgreSQL planned each one
// anew. As a function it is one statement (its own transaction), with plans cached by plpgsql.
//
// Semantics are those of the statements it replaces, in the same order:
// 1. the batch's rooms are locked in id order (a deleted room has no row and is reported gone);
// 2. after the lock, a (room, sender, clientId) already stored returns its original (a retry,
//    perhaps through another node); repeats of one key within the batch share the first's row;
// 3. the rest take the next seqs of their room, in submission order, in one INSERT;
// 4. the committed messages are announced on `parley_events` as `messages_created` events of at
//    most 7,800 bytes each (PostgreSQL's payload limit is 8,000); a message too large to fit
//    alone is announced by its seq only. Listeners get them at commit, in commit order.
// Timestamps leave as the text JavaScript's toISOString() gives (UTC, milliseconds, 'Z'), so
// acks, events and history all show the same string.

const ISO = `to_char(%s AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE FUNCTION parley_message_json(m messages) RETURNS text
    LANGUAGE sql IMMUTABLE AS $$
      SELECT json_build_object(
        'id', m.id, 'roomId', m.room_id, 'seq', m.seq, 'username', m.username,
        'content', m.content, 'timestamp', ${ISO.replace('%s', 'm."timestamp"')},
        'clientId', m.client_id)::text
    $$;

    CREATE FUNCTION parley_notify_messages(p_messages messages[]) RETURNS integer
    LANGUAGE plpgsql AS $$
    DECLARE
      max_bytes CONSTANT integer := 7800;
      m messages;
      room_id integer;
      header text;
      chunk text[] := '{}';
      chunk_bytes integer;
      chunk_last bigint;
      item text;
      events integer := 0;
    BEGIN
      IF p_messages IS NULL THEN RETURN 0; END IF;
      FOREACH m IN ARRAY p_messages LOOP
        IF room_id IS DISTINCT FROM m.room_id THEN
          IF cardinality(chunk) > 0 THEN
            PERFORM pg_notify('parley_events', header || chunk_last || ',"messages":[' || array_to_string(chunk, ',') || ']}');
            events := events + 1;
          END IF;
          room_id := m.room_id;
          SELECT '{"type":"messages_created","roomId":' || c.id || ',"roomName":' || to_json(c.name)::text || ',"lastSeq":'
            INTO header FROM chat_rooms c WHERE c.id = m.room_id;
          chunk := '{}';
          chunk_bytes := octet_length(header) + 40;
        END IF;
        item := parley_message_json(m);
        IF cardinality(chunk) > 0 AND chunk_bytes + octet_length(item) + 1 > max_bytes THEN
          PERFORM pg_notify('parley_events', header || chunk_last || ',"messages":[' || array_to_string(chunk, ',') || ']}');
          events := events + 1;
          chunk := '{}';
          chunk_bytes := octet_length(header) + 40;
        END IF;
        IF octet_length(header) + 40 + octet_length(item) + 1 > max_bytes THEN
          PERFORM pg_notify('parley_events', header || m.seq || ',"messages":[]}');
          events := events + 1;
          CONTINUE;
        END IF;
        chunk := chunk || item;
        chunk_bytes := chunk_bytes + octet_length(item) + 1;
        chunk_last := m.seq;
      END LOOP;
      IF cardinality(chunk) > 0 THEN
        PERFORM pg_notify('parley_events', header || chunk_last || ',"messages":[' || array_to_string(chunk, ',') || ']}');
        events := events + 1;
      END IF;
      RETURN events;
    END
    $$;

    CREATE FUNCTION parley_write_messages(
      p_room_ids integer[], p_user_ids integer[], p_usernames text[], p_contents text[],
      p_client_ids text[]
    ) RETURNS TABLE (
      ord integer, outcome text, id bigint, room_id integer, seq bigint, username text,
      content text, client_id text, "timestamp" text
    )
    LANGUAGE plpgsql AS $$
    #variable_conflict use_column
    BEGIN
      PERFORM 1 FROM chat_rooms c WHERE c.id = ANY (p_room_ids) ORDER BY c.id FOR UPDATE;

      RETURN QUERY
      WITH input AS (
        SELECT i.ord::integer AS ord, i.room_id, i.user_id, i.username, i.content, i.client_id
        FROM unnest(p_room_ids, p_user_ids, p_usernames, p_contents, p_client_ids)
          WITH ORDINALITY AS i(room_id, user_id, username, content, client_id, ord)
      ),
      live AS (
        SELECT l.* FROM input l WHERE EXISTS (SELECT 1 FROM chat_rooms c WHERE c.id = l.room_id)
      ),
      existing AS (
        SELECT l.ord, m.* FROM live l JOIN messages m
          ON m.room_id = l.room_id AND m.user_id = l.user_id AND m.client_id = l.client_id
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
        WHERE r.id = f.room_id
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
        SELECT parley_notify_messages(array_agg(ROW(i.*)::messages ORDER BY i.room_id, i.seq)) AS events
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
      FROM input l WHERE NOT EXISTS (SELECT 1 FROM live v WHERE v.ord = l.ord)
      ORDER BY 1;
    END
    $$;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP FUNCTION parley_write_messages(integer[], integer[], text[], text[], text[]);
    DROP FUNCTION parley_notify_messages(messages[]);
    DROP FUNCTION parley_message_json(messages);
  `);
}
