import { readdirSync, readFileSync } from 'node:fs';
import { createPasswordHasher, type PasswordHasher } from '../src/auth/password-hasher';

/** Nice values of this process's threads (field 19 of /proc/self/task/<tid>/stat). */
function threadNiceValues(): number[] {
  return readdirSync('/proc/self/task').map((tid) => {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  });
}

describe('password hashing on low-priority worker threads', () => {
  let hasher: PasswordHasher;

  beforeAll(() => {
    hasher = createPasswordHasher(2);
  });

  afterAll(async () => {
    await hasher.close();
  });

  it('when a password is hashed, then only that password matches the hash', async () => {
    const hash = await hasher.hash('correct horse', 4);

    expect(hash).toMatch(/^\$2[aby]\$04\$/);
    await expect(hasher.compare('correct horse', hash)).resolves.toBe(true);
    await expect(hasher.compare('wrong horse', hash)).resolves.toBe(false);
  });

  it('when hashes run, then the hashing threads sit at the lowest CPU priority and the rest of the process does not', async () => {
    await Promise.all([hasher.hash('a', 4), hasher.hash('b', 4), hasher.hash('c', 4)]);

    const nice = threadNiceValues();
    expect(nice.filter((value) => value === 19)).toHaveLength(2);
    expect(nice.filter((value) => value === 0).length).toBeGreaterThan(0);
  });

  it('when a stored hash is malformed, then nothing matches it and the hasher keeps working', async () => {
    await expect(hasher.compare('x', 'not a bcrypt hash')).resolves.toBe(false);
    await expect(hasher.compare('y', await hasher.hash('y', 4))).resolves.toBe(true);
  });

  it("when one client has many sign-ins waiting, then another client's is checked next, not after them all", async () => {
    const single = createPasswordHasher(1);
    try {
      const hash = await single.hash('secret', 4);
      const finished: string[] = [];
      const check = (client: string, label: string) =>
        single.compare('secret', hash, client).then(() => finished.push(label));

      // One storm's sign-ins arrive first, then one of someone else's.
      const storm = Array.from({ length: 6 }, (_, n) => check('10.0.0.1', `storm ${n + 1}`));
      const user = check('10.0.0.2', 'user');
      await Promise.all([...storm, user]);

      // The storm's first was already being checked; the user's is next, then the storm's rest.
      expect(finished).toEqual([
        'storm 1',
        'user',
        'storm 2',
        'storm 3',
        'storm 4',
        'storm 5',
        'storm 6',
      ]);
    } finally {
      await single.close();
    }
  });
});
