import { dropDatabase } from './support/databases';

export default async function globalTeardown(): Promise<void> {
  const name = process.env.TEST_DATABASE_NAME;
  if (name) await dropDatabase(name);
}
