import { existsSync } from 'node:fs';
import path from 'node:path';
import { CLIENT_INDEX } from './support/client-build';
import {
  ROOT,
  copyInstructions,
  isDockerIgnored,
  loadCompose,
  readDockerfile,
  readDockerignore,
  readRepoFile,
  stageEnv,
} from './support/deployment-files';

// No Docker engine runs here: the Dockerfiles are read and checked against the repository.
const DOCKERFILES = ['docker/Dockerfile.server', 'docker/Dockerfile.nginx'];
const server = readDockerfile('docker/Dockerfile.server');
const edge = readDockerfile('docker/Dockerfile.nginx');

function run(stage: (typeof server)[number]): string[] {
  return stage.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
}

describe('the Dockerfiles', () => {
  it('copy only files that exist and that .dockerignore lets into the context', () => {
    const ignored = readDockerignore();
    for (const file of DOCKERFILES) {
      const stages = readDockerfile(file);
      const copies = stages.flatMap(copyInstructions).filter((copy) => !copy.from);
      expect(copies.length).toBeGreaterThan(0);
      for (const source of copies.flatMap((copy) => copy.sources)) {
        expect([file, source, existsSync(path.join(ROOT, source))]).toEqual([file, source, true]);
        expect([file, source, isDockerIgnored(source, ignored)]).toEqual([file, source, false]);
      }
      // Every --from names an earlier stage.
      const names = stages.map((stage) => stage.name);
      for (const copy of stages.flatMap(copyInstructions).filter((c) => c.from)) {
        expect(names).toContain(copy.from);
      }
    }
  });

  it('keep dependencies, builds, local data and secrets out of the build context', () => {
    const ignored = readDockerignore();
    for (const excluded of [
      'node_modules/x',
      'server-chat/node_modules/x',
      '.data/pg',
      'client-angular/dist/x',
      'client-angular/.angular/cache',
      'test-results/x',
      '.git/HEAD',
      '.env',
    ]) {
      expect([excluded, isDockerIgnored(excluded, ignored)]).toEqual([excluded, true]);
    }
    expect(isDockerIgnored('.env.example', ignored)).toBe(false);
  });

  it('are multi-stage and run as a user other than root', () => {
    for (const file of DOCKERFILES) {
      const stages = readDockerfile(file);
      expect([file, stages.length > 1]).toEqual([file, true]);
      const users = stages.at(-1)!.instructions.filter((i) => i.keyword === 'USER');
      expect([file, users.at(-1)?.args]).toEqual([file, expect.stringMatching(/^(?!root|0\b)/)]);
    }
  });

  it('install production dependencies only, for workspaces that exist', () => {
    const installs = server.flatMap(run).filter((command) => command.includes('npm ci'));
    expect(installs).toHaveLength(1);
    expect(installs[0]).toContain('--omit=dev');
    // tsx runs the TypeScript sources in production, so the root must ship it as a dependency.
    const manifest = JSON.parse(readRepoFile('package.json')) as {
      dependencies: Record<string, string>;
      workspaces: string[];
    };
    expect(Object.keys(manifest.dependencies)).toEqual(expect.arrayContaining(['tsx', 'knex']));
    const workspaceNames = manifest.workspaces.map(
      (folder) => (JSON.parse(readRepoFile(`${folder}/package.json`)) as { name: string }).name,
    );
    const installed = [...installs[0]!.matchAll(/--workspace (\S+)/g)].map((m) => m[1]);
    expect(installed.length).toBeGreaterThan(0);
    for (const name of installed) expect(workspaceNames).toContain(name);
    // Every workspace manifest is in the install stage: npm ci needs all the lock file names.
    const manifests = copyInstructions(server[0]!).flatMap((copy) => copy.sources);
    for (const folder of manifest.workspaces) expect(manifests).toContain(`${folder}/package.json`);
  });

  it('contain what the compose commands run', () => {
    const copied = copyInstructions(server.at(-1)!).flatMap((copy) => copy.sources);
    const isCopied = (file: string) =>
      copied.some((source) => file === source || file.startsWith(`${source}/`));
    const commands = Object.values(loadCompose().services)
      .filter((service) => service.build?.dockerfile === 'docker/Dockerfile.server')
      .map((service) => service.command ?? []);
    expect(commands).toHaveLength(4);
    for (const file of commands.flat().filter((word) => word.endsWith('.ts'))) {
      expect([file, existsSync(path.join(ROOT, file)), isCopied(file)]).toEqual([file, true, true]);
    }
  });

  it('serve the built client from where the nginx configuration looks for it', () => {
    const builtClient = path.relative(ROOT, path.dirname(CLIENT_INDEX));
    const final = edge.at(-1)!;
    const fromBuild = copyInstructions(final).find((copy) => copy.from === edge[0]!.name)!;
    expect(fromBuild.sources).toEqual([`/app/${builtClient}`]);
    expect(fromBuild.destination.replace(/\/$/, '')).toBe(stageEnv(final).CLIENT_ROOT);
    const template = copyInstructions(final).find((copy) =>
      copy.sources.includes('nginx/parley.conf.template'),
    )!;
    expect(template.destination).toMatch(/^\/etc\/nginx\/templates\/[\w.-]+\.template$/);
    expect(run(edge[0]!).some((command) => command.includes('npm run build'))).toBe(true);
  });
});
