import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';

/** Reading docker-compose.yml, the Dockerfiles and .env.example as Docker would, without Docker. */
export const ROOT = path.resolve(__dirname, '../..');

export interface ComposeService {
  image?: string;
  build?: { context?: string; dockerfile?: string };
  command?: string[];
  environment?: Record<string, string>;
  healthcheck?: { test?: string[]; disable?: boolean };
  depends_on?: Record<string, { condition: string }>;
  ports?: string[];
  restart?: string;
  volumes?: string[];
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

export function readRepoFile(relative: string): string {
  return readFileSync(path.join(ROOT, relative), 'utf8');
}

/** The compose file with its anchors and `<<` merges resolved, as compose reads it. */
export function loadCompose(): ComposeFile {
  const document = parseDocument(readRepoFile('docker-compose.yml'), { merge: true });
  if (document.errors.length > 0) throw new Error(document.errors.map(String).join('\n'));
  return document.toJS() as ComposeFile;
}

/**
 * Compose's interpolation: `$$`, `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
 * `${VAR:?error}` and `${VAR?error}` (the last two refuse to run without the variable).
 */
export function interpolate(value: string, env: Record<string, string | undefined>): string {
  const pattern = /\$(?:(\$)|\{([A-Za-z_]\w*)(?:(:?[-?])([^}]*))?\}|([A-Za-z_]\w*))/g;
  return value.replace(
    pattern,
    (_match, dollar?: string, braced?: string, operator?: string, word?: string, bare?: string) => {
      if (dollar) return '$';
      const name = (braced ?? bare)!;
      const current = env[name];
      const isMissing = operator?.startsWith(':') ? !current : current === undefined;
      if (operator?.endsWith('?') && isMissing) throw new Error(`${name}: ${word}`);
      if (operator?.endsWith('-') && isMissing) return word ?? '';
      return current ?? '';
    },
  );
}

/** Every variable the compose file interpolates. */
export function composeVariables(text: string): Set<string> {
  const names = [...text.matchAll(/\$(?:\{([A-Za-z_]\w*)|([A-Za-z_]\w*))/g)];
  return new Set(names.map((match) => (match[1] ?? match[2])!));
}

/** A service's environment with the compose variables filled in from `env`. */
export function serviceEnvironment(
  service: ComposeService,
  env: Record<string, string | undefined>,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(service.environment ?? {}).map(([key, value]) => [
      key,
      interpolate(String(value), env),
    ]),
  );
}

/** `NAME=value` lines of .env.example (comments and blank lines skipped). */
export function readEnvExample(): Map<string, string> {
  const lines = readRepoFile('.env.example').split('\n');
  const entries = lines
    .map((line) => /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim()))
    .filter((match) => match !== null)
    .map((match) => [match[1]!, match[2]!] as const);
  return new Map(entries);
}

/**
 * The official nginx image's template step: envsubst with only the defined variables, so that
 * nginx's own `$variables` survive.
 */
export function envsubst(template: string, env: Record<string, string>): string {
  return template.replace(/\$(?:\{([A-Za-z_]\w*)\}|([A-Za-z_]\w*))/g, (match, braced, bare) => {
    const value = env[(braced ?? bare) as string];
    return value ?? match;
  });
}

export interface DockerInstruction {
  keyword: string;
  args: string;
}

export interface DockerStage {
  from: string;
  name: string | undefined;
  instructions: DockerInstruction[];
}

/** The stages of a Dockerfile, each with its instructions (continuation lines joined). */
export function readDockerfile(relative: string): DockerStage[] {
  const joined = readRepoFile(relative)
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ');
  const stages: DockerStage[] = [];
  for (const line of joined.split('\n')) {
    const match = /^\s*([A-Z]+)\s+(.*)$/.exec(line);
    if (!match) continue;
    const [, keyword, args] = match as unknown as [string, string, string];
    if (keyword === 'FROM') {
      const from = /^(\S+)(?:\s+AS\s+(\S+))?/i.exec(args)!;
      stages.push({ from: from[1]!, name: from[2], instructions: [] });
    }
    stages.at(-1)?.instructions.push({ keyword, args: args.replace(/\s+/g, ' ').trim() });
  }
  return stages;
}

/** `ENV A=1 B=2` of a stage, as a map. */
export function stageEnv(stage: DockerStage): Record<string, string> {
  const pairs = stage.instructions
    .filter((instruction) => instruction.keyword === 'ENV')
    .flatMap((instruction) => instruction.args.split(' '))
    .map((pair) => pair.split('=') as [string, string]);
  return Object.fromEntries(pairs);
}

export interface CopyInstruction {
  from: string | undefined;
  sources: string[];
  destination: string;
}

export function copyInstructions(stage: DockerStage): CopyInstruction[] {
  return stage.instructions
    .filter((instruction) => instruction.keyword === 'COPY')
    .map((instruction) => {
      const words = instruction.args.split(' ');
      const flags = words.filter((word) => word.startsWith('--'));
      const paths = words.filter((word) => !word.startsWith('--'));
      const from = flags.find((flag) => flag.startsWith('--from='))?.slice('--from='.length);
      return { from, sources: paths.slice(0, -1), destination: paths.at(-1)! };
    });
}

/** True when a .dockerignore pattern keeps `relative` (or a folder above it) out of the context. */
export function isDockerIgnored(relative: string, patterns: string[]): boolean {
  const toRegExp = (pattern: string) =>
    new RegExp(
      `^${pattern
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*\*\//g, '\0')
        .replace(/\*/g, '[^/]*')
        .replace(/\0/g, '(?:.*/)?')}(?:/.*)?$`,
    );
  let isIgnored = false;
  for (const raw of patterns) {
    const isException = raw.startsWith('!');
    if (toRegExp(isException ? raw.slice(1) : raw).test(relative)) isIgnored = !isException;
  }
  return isIgnored;
}

export function readDockerignore(): string[] {
  return readRepoFile('.dockerignore')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
}
