import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
/** The built Angular client: what `npm start` and nginx serve. */
export const CLIENT_DIR = path.join(ROOT, 'client-angular/dist/client-angular/browser');

/** Builds the web client when there is no build yet; later runs serve the existing one. */
export function ensureClientBuilt(announce: (message: string) => void = () => undefined): void {
  if (existsSync(path.join(CLIENT_DIR, 'index.html'))) return;
  announce('building the web client (first start only)');
  const build = spawnSync('npm', ['run', 'build', '-w', '@parley/client-angular'], {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (build.status !== 0) throw new Error('the web client did not build');
}
