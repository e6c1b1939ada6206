import { spawn } from 'node:child_process';
import path from 'node:path';

/** A chat node in a separate process: the only way to let a node die without cleaning up. */
export interface ChatNodeProcess {
  url: string;
  port: number;
  /** SIGKILL: no disconnect handlers, no Redis cleanup; resolves once the process is gone. */
  kill(): Promise<void>;
}

const ROOT = path.resolve(__dirname, '../..');
const START_TIMEOUT_MS = 30_000;

/** Boots test/support/chat-node-main.ts (through tsx's loader) on the run's test database. */
export async function spawnChatNode(env: Record<string, string> = {}): Promise<ChatNodeProcess> {
  // node with tsx's loader, not the tsx CLI: the CLI runs the script in a child process of its
  // own, which a SIGKILL of the CLI would leave running.
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(ROOT, 'test/support/chat-node-main.ts'), JSON.stringify(env)],
    { cwd: ROOT, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  // Should the test process end without kill() (a crash, a timeout), take the node along.
  const killOnExit = () => child.kill('SIGKILL');
  process.on('exit', killOnExit);
  let stderr = '';
  child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const port = await new Promise<number>((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`chat node process did not start within ${START_TIMEOUT_MS} ms: ${stderr}`));
    }, START_TIMEOUT_MS);
    child.stdout.on('data', (data: Buffer) => {
      stdout += data.toString();
      const line = stdout.split('\n').find((candidate) => candidate.startsWith('{"port"'));
      if (!line) return;
      clearTimeout(timer);
      resolve((JSON.parse(line) as { port: number }).port);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`chat node process exited with ${code}: ${stderr}`));
    });
  });

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    async kill() {
      process.off('exit', killOnExit);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
