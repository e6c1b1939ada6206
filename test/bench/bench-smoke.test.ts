import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

// The harness itself, end to end, as `npm run bench -- --quick` runs it: every scenario starts its
// servers, offers its load, checks exactly-once delivery and persistence, and reports. Its figures
// are not judged here (a smoke test on a busy machine); that they exist and parse is.
describe('npm run bench -- --quick', () => {
  it('when the quick benchmark runs, then it exits cleanly with a row for every target and writes the results and the chart', async () => {
    const child = spawn('npm', ['run', '--silent', 'bench', '--', '--quick'], {
      cwd: ROOT,
      env: process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
    child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));

    expect({ code, stderr: code === 0 ? '' : stderr.slice(-3000) }).toEqual({
      code: 0,
      stderr: '',
    });
    for (const target of [
      'T1',
      'T2',
      'T3',
      'T4',
      'T5',
      'T6',
      'T7',
      'T8',
      'T9',
      'T10',
      'T11',
      'T12',
    ]) {
      expect(stdout).toMatch(new RegExp(`^\\| ${target}[- ]`, 'm'));
    }
    const file = /^results: (\S+)$/m.exec(stdout)?.[1];
    expect(file).toBeDefined();
    const results = JSON.parse(await readFile(path.join(ROOT, file!), 'utf8')) as {
      rows: { id: string; measured: string }[];
    };
    expect(results.rows.length).toBeGreaterThan(12);
    expect(results.rows.every((row) => row.measured !== 'not measured')).toBe(true);
    const svg = await readFile(path.join(ROOT, file!.replace(/\.json$/, '.svg')), 'utf8');
    expect(svg).toContain('<svg');
  }, 300_000);
});
