import { createResponseCache, type Keep, type LoadedResponse } from '../src/http/response-cache';

/** A load whose answer the test gives when it chooses; counts how often it ran. */
function controlledLoad(body: unknown, keep: Keep = 'until-changed') {
  let calls = 0;
  const pending: ((loaded: LoadedResponse) => void)[] = [];
  return {
    calls: () => calls,
    load: () => {
      calls += 1;
      return new Promise<LoadedResponse>((resolve) => pending.push(resolve));
    },
    answer: () => pending.shift()!({ body, keep }),
  };
}

const instant = (body: unknown, keep: Keep = 'until-changed') => {
  let calls = 0;
  return {
    calls: () => calls,
    load: () => {
      calls += 1;
      return Promise.resolve({ body, keep });
    },
  };
};

describe('the read cache', () => {
  test('when live, then a response read twice is loaded once; while suspended, every read loads', async () => {
    const cache = createResponseCache({ maxBytes: 10_000 });
    const page = instant({ messages: ['hi'] });

    await cache.read('room', 'latest', page.load);
    expect(page.calls()).toBe(1);

    cache.resume();
    const first = await cache.read('room', 'latest', page.load);
    const second = await cache.read('room', 'latest', page.load);
    expect(page.calls()).toBe(2);
    expect(second.body.toString()).toBe(JSON.stringify({ messages: ['hi'] }));
    expect(second).toBe(first);

    cache.suspend();
    await cache.read('room', 'latest', page.load);
    await cache.read('room', 'latest', page.load);
    expect(page.calls()).toBe(4);
    expect(cache.size()).toBe(0);
  });

  test('when the scope changes while a load runs, then that load is answered but not kept', async () => {
    const cache = createResponseCache({ maxBytes: 10_000 });
    cache.resume();
    const page = controlledLoad({ messages: ['old'] });

    const reading = cache.read('room', 'latest', page.load);
    cache.invalidate('room');
    page.answer();
    expect((await reading).body.toString()).toContain('old');

    const again = cache.read('room', 'latest', page.load);
    expect(page.calls()).toBe(2);
    page.answer();
    await again;
    await cache.read('room', 'latest', page.load);
    expect(page.calls()).toBe(2);
  });

  test('when reads of one response miss together, then one load answers them all', async () => {
    const cache = createResponseCache({ maxBytes: 10_000 });
    cache.resume();
    const page = controlledLoad({ messages: ['hi'] });

    const reads = [1, 2, 3].map(() => cache.read('room', 'latest', page.load));
    page.answer();
    const answers = await Promise.all(reads);

    expect(page.calls()).toBe(1);
    expect(answers.map((answer) => answer.body.toString())).toEqual(
      Array(3).fill(JSON.stringify({ messages: ['hi'] })),
    );
  });

  test('when the scope changed after a load began, then a later read loads anew', async () => {
    const cache = createResponseCache({ maxBytes: 10_000 });
    cache.resume();
    const page = controlledLoad({ messages: ['old'] });

    const first = cache.read('room', 'latest', page.load);
    cache.invalidate('room');
    const second = cache.read('room', 'latest', page.load);
    expect(page.calls()).toBe(2);
    page.answer();
    page.answer();
    await Promise.all([first, second]);
    await cache.read('room', 'latest', page.load);

    expect(page.calls()).toBe(2);
  });

  test('when another scope changes while a load runs, then that load is kept', async () => {
    const cache = createResponseCache({ maxBytes: 10_000 });
    cache.resume();
    const page = controlledLoad({ messages: [] });

    const reading = cache.read('room-a', 'latest', page.load);
    cache.invalidate('room-b', { isDeleted: true });
    page.answer();
    await reading;
    await cache.read('room-a', 'latest', page.load);

    expect(page.calls()).toBe(1);
  });

  test('when a scope changes, then its final responses stay and the rest go; when it is deleted, all go', async () => {
    const cache = createResponseCache({ maxBytes: 10_000 });
    cache.resume();
    const latest = instant({ messages: [3] });
    const older = instant({ messages: [1, 2] }, 'until-deleted');
    const other = instant({ messages: [] });
    const readAll = async () => {
      await cache.read('room', 'latest', latest.load);
      await cache.read('room', 'before-3', older.load);
      await cache.read('other', 'latest', other.load);
    };
    await readAll();

    cache.invalidate('room');
    await readAll();
    expect([latest.calls(), older.calls(), other.calls()]).toEqual([2, 1, 1]);

    cache.invalidate('room', { isDeleted: true });
    await readAll();
    expect([latest.calls(), older.calls(), other.calls()]).toEqual([3, 2, 1]);
  });

  test('when a final load is overtaken by a change, then it is kept; by a deletion, it is not', async () => {
    const cache = createResponseCache({ maxBytes: 10_000 });
    cache.resume();
    const older = controlledLoad({ messages: [1, 2] }, 'until-deleted');

    const changed = cache.read('room', 'before-3', older.load);
    cache.invalidate('room');
    older.answer();
    await changed;
    await cache.read('room', 'before-3', older.load);
    expect(older.calls()).toBe(1);

    cache.invalidate('room', { isDeleted: true });
    const deleted = cache.read('room', 'before-3', older.load);
    cache.invalidate('room', { isDeleted: true });
    older.answer();
    await deleted;
    const after = cache.read('room', 'before-3', older.load);
    expect(older.calls()).toBe(3);
    older.answer();
    await after;
  });

  test('when the cache is suspended and resumed while a load runs, then that load is not kept', async () => {
    const cache = createResponseCache({ maxBytes: 10_000 });
    cache.resume();
    const page = controlledLoad({ rooms: [] });

    const reading = cache.read('search', 'q', page.load);
    cache.suspend();
    cache.resume();
    page.answer();
    await reading;
    const again = cache.read('search', 'q', page.load);

    expect(page.calls()).toBe(2);
    page.answer();
    await again;
  });

  test('when a load is marked unkept, then every read of it loads', async () => {
    const cache = createResponseCache({ maxBytes: 10_000 });
    cache.resume();
    let calls = 0;
    const tail = () => {
      calls += 1;
      return Promise.resolve({ body: { messages: [] }, keep: 'never' as const });
    };

    await cache.read('room', 'after-9', tail);
    await cache.read('room', 'after-9', tail);

    expect(calls).toBe(2);
    expect(cache.size()).toBe(0);
  });

  test('when a load fails, then the error passes through and nothing is kept', async () => {
    const cache = createResponseCache({ maxBytes: 10_000 });
    cache.resume();
    const failing = () => Promise.reject(new Error('no such room'));

    await expect(cache.read('room', 'latest', failing)).rejects.toThrow('no such room');
    expect(cache.size()).toBe(0);
  });

  test('when the JSON held passes its limit, then the least recently read responses go first', async () => {
    const body = { text: 'x'.repeat(90) };
    const size = JSON.stringify(body).length + 'room\0p0'.length;
    const cache = createResponseCache({ maxBytes: size * 3 });
    cache.resume();
    const pages = [0, 1, 2, 3].map(() => instant(body));
    for (const index of [0, 1, 2]) await cache.read('room', `p${index}`, pages[index]!.load);

    await cache.read('room', 'p0', pages[0]!.load);
    await cache.read('room', 'p3', pages[3]!.load);

    expect(cache.size()).toBe(size * 3);
    // Those kept first (reading them stores nothing), then the one that went.
    for (const index of [3, 2, 0, 1]) await cache.read('room', `p${index}`, pages[index]!.load);
    expect(pages.map((page) => page.calls())).toEqual([1, 2, 1, 1]);
  });
});
