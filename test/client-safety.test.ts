import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const CLIENT_SRC = path.resolve(__dirname, '../client-angular/src');
// Ways to turn a string into markup or code: none may appear in the client, templates included.
const FORBIDDEN =
  /innerHTML|outerHTML|insertAdjacentHTML|bypassSecurityTrust|\beval\s*\(|new Function\s*\(/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    // Specs may mention the words to prove they are absent; the code they test may not.
    return /\.(ts|html)$/.test(entry) && !entry.endsWith('.spec.ts') ? [full] : [];
  });
}

test('the web client never renders HTML from strings or evaluates code', () => {
  const files = sourceFiles(CLIENT_SRC);
  expect(files.length).toBeGreaterThan(5);
  const offenders = files.filter((file) => FORBIDDEN.test(readFileSync(file, 'utf8')));
  expect(offenders.map((file) => path.relative(CLIENT_SRC, file))).toEqual([]);
});
