// `npm run migrate [latest|down|rollback|up|status]` against DATABASE_URL (default: local).
import knex from 'knex';
import config from '../knexfile';

const command = process.argv[2] ?? 'latest';

async function run(): Promise<void> {
  const db = knex(config);
  try {
    switch (command) {
      case 'latest': {
        const [, applied] = (await db.migrate.latest()) as [number, string[]];
        console.log(applied.length ? `applied: ${applied.join(', ')}` : 'already at latest');
        break;
      }
      case 'down':
      case 'rollback': {
        // Without a further argument "down" undoes one migration; "rollback" the last batch.
        const all = process.argv[3] === '--all';
        const [, reverted] = (
          command === 'down' && !all
            ? await db.migrate.down()
            : await db.migrate.rollback(undefined, all)
        ) as [number, string[]];
        console.log(reverted.length ? `reverted: ${reverted.join(', ')}` : 'nothing to revert');
        break;
      }
      case 'up': {
        const [, applied] = (await db.migrate.up()) as [number, string[]];
        console.log(applied.length ? `applied: ${applied.join(', ')}` : 'already at latest');
        break;
      }
      case 'status': {
        const [done, pending] = (await db.migrate.list()) as [
          { name: string }[],
          { file: string }[],
        ];
        console.log(`applied: ${done.length}, pending: ${pending.length}`);
        break;
      }
      default:
        throw new Error(`unknown command "${command}": use latest, down, rollback, up or status`);
    }
  } finally {
    await db.destroy();
  }
}

run().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
