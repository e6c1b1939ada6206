import type { Request, Response } from 'express';

/**
 * A response as sent: its JSON, encoded once (not on every send), and the ETag Express gives it
 * (made on first send).
 */
export interface CachedResponse {
  body: Buffer;
  etag?: string;
}

/**
 * How long a loaded response may be kept: until its scope is deleted (no other commit can change
 * it), until its scope next changes, or not at all (a reader needs it as fresh as the database).
 */
export type Keep = 'until-deleted' | 'until-changed' | 'never';

/** What a read loads: the body, and how long it may be kept. */
export interface LoadedResponse {
  body: unknown;
  keep: Keep;
}

/**
 * Responses grouped by what changes them (a room's history, the room search): a commit to that
 * thing invalidates the scope's responses, all of them when it is deleted, else those not final.
 */
interface Scope {
  name: string;
  changing: Map<string, Entry>;
  final: Map<string, Entry>;
  /** Counted so that a load overtaken by an invalidation does not store what it read. */
  changes: number;
  deletions: number;
  /** Loads in flight: the scope and its counts are kept until they end. */
  loads: number;
  /** The latest load of each key, which reads of that key join while nothing changed since. */
  loading: Map<string, Loading>;
}

interface Loading {
  epoch: number;
  changes: number;
  response: Promise<CachedResponse>;
}

interface Entry {
  id: string;
  scope: Scope;
  key: string;
  response: CachedResponse;
  isFinal: boolean;
  size: number;
}

export interface ResponseCache {
  /**
   * The response stored under (scope, key), else what `load` gives, stored when the cache is live
   * and nothing invalidated the scope while it loaded. Errors from `load` pass through, unstored.
   */
  read(scope: string, key: string, load: () => Promise<LoadedResponse>): Promise<CachedResponse>;
  /** A commit changed the scope: its responses go, final ones too when it was deleted. */
  invalidate(scope: string, options?: { isDeleted?: boolean }): void;
  /** Invalidations may be missed from now on: forget everything and store nothing. */
  suspend(): void;
  /** Invalidations arrive again: start empty and store from now on. */
  resume(): void;
  /** Bytes of JSON held. */
  size(): number;
}

/**
 * An in-process cache of read responses, kept correct by invalidations: the node's own commits and
 * every node's committed events (while it is not live, that is while it may miss events, every
 * read loads). Least recently read entries go once the JSON held exceeds `maxBytes`.
 */
export function createResponseCache({ maxBytes }: { maxBytes: number }): ResponseCache {
  /** Every entry by scope and key, least recently read first. */
  const entries = new Map<string, Entry>();
  const scopes = new Map<string, Scope>();
  let held = 0;
  let isLive = false;
  /** Counts suspensions and resumptions: a load spanning one does not store. */
  let epoch = 0;

  const scopeNamed = (name: string): Scope => {
    let scope = scopes.get(name);
    if (!scope) {
      scope = {
        name,
        changing: new Map(),
        final: new Map(),
        changes: 0,
        deletions: 0,
        loads: 0,
        loading: new Map(),
      };
      scopes.set(name, scope);
    }
    return scope;
  };

  const dropIfUnused = (scope: Scope) => {
    const isEmpty = scope.changing.size === 0 && scope.final.size === 0;
    if (isEmpty && scope.loads === 0 && scopes.get(scope.name) === scope) scopes.delete(scope.name);
  };

  const remove = (entry: Entry) => {
    entries.delete(entry.id);
    (entry.isFinal ? entry.scope.final : entry.scope.changing).delete(entry.key);
    held -= entry.size;
  };

  const store = (entry: Entry) => {
    const existing = entries.get(entry.id);
    if (existing) remove(existing);
    entries.set(entry.id, entry);
    (entry.isFinal ? entry.scope.final : entry.scope.changing).set(entry.key, entry);
    held += entry.size;
    for (const oldest of entries.values()) {
      if (held <= maxBytes) break;
      remove(oldest);
      dropIfUnused(oldest.scope);
    }
  };

  const clear = () => {
    entries.clear();
    for (const scope of scopes.values()) {
      scope.changing.clear();
      scope.final.clear();
      dropIfUnused(scope);
    }
    held = 0;
  };

  return {
    async read(scopeName, key, load) {
      const id = `${scopeName}\0${key}`;
      const hit = entries.get(id);
      if (hit) {
        // Most recently read last.
        entries.delete(id);
        entries.set(id, hit);
        return hit.response;
      }
      if (!isLive) return encode(await load());
      const scope = scopeNamed(scopeName);
      // Reads that miss together (a popular page after a message) share one load.
      const shared = scope.loading.get(key);
      if (shared && shared.epoch === epoch && shared.changes === scope.changes) {
        return shared.response;
      }
      const before = { epoch, changes: scope.changes, deletions: scope.deletions };
      scope.loads += 1;
      const response = (async () => {
        const loaded = await load();
        const encoded = encode(loaded);
        const isFinal = loaded.keep === 'until-deleted';
        const isCurrent =
          isLive &&
          epoch === before.epoch &&
          scope.deletions === before.deletions &&
          (isFinal || scope.changes === before.changes);
        if (isCurrent && loaded.keep !== 'never') {
          const size = encoded.body.length + id.length;
          store({ id, scope, key, response: encoded, isFinal, size });
        }
        return encoded;
      })();
      scope.loading.set(key, { epoch: before.epoch, changes: before.changes, response });
      try {
        return await response;
      } finally {
        if (scope.loading.get(key)?.response === response) scope.loading.delete(key);
        scope.loads -= 1;
        dropIfUnused(scope);
      }
    },

    invalidate(scopeName, { isDeleted = false } = {}) {
      const scope = scopes.get(scopeName);
      if (!scope) return;
      scope.changes += 1;
      for (const entry of [...scope.changing.values()]) remove(entry);
      if (isDeleted) {
        scope.deletions += 1;
        for (const entry of [...scope.final.values()]) remove(entry);
      }
      dropIfUnused(scope);
    },

    suspend() {
      isLive = false;
      epoch += 1;
      clear();
    },

    resume() {
      epoch += 1;
      clear();
      isLive = true;
    },

    size: () => held,
  };
}

const encode = (loaded: LoadedResponse): CachedResponse => ({
  body: Buffer.from(JSON.stringify(loaded.body)),
});

/** Sends a cached response as res.json would, with the ETag Express would compute (once). */
export function sendCached(req: Request, res: Response, response: CachedResponse): void {
  if (response.etag === undefined) {
    const etagOf = req.app.get('etag fn') as ((body: Buffer) => string) | false;
    response.etag = etagOf ? etagOf(response.body) : '';
  }
  if (response.etag) res.set('ETag', response.etag);
  res.set('Content-Type', 'application/json; charset=utf-8').send(response.body);
}
