import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
export const CLIENT_INDEX = path.join(
  ROOT,
  'client-angular/dist/client-angular/browser/index.html',
);

/**
 * Builds the web client once before the test workers start, so tests that run `npm start` (which
 * builds it when missing) never build it twice at the same time.
 */
export function ensureClientBuilt(): void {
  if (existsSync(CLIENT_INDEX)) return;
  const build = spawnSync('npm', ['run', 'build', '-w', '@parley/client-angular'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (build.status !== 0) throw new Error('the web client did not build');
}
