import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '@parley/server-kit';
import { renderLocalNginxConf } from '../scripts/render-nginx';
import { startChatNode } from './support/chat-node';
import {
  ROOT,
  composeVariables,
  envsubst,
  loadCompose,
  readDockerfile,
  readEnvExample,
  readRepoFile,
  serviceEnvironment,
  stageEnv,
  type ComposeService,
} from './support/deployment-files';
import { startWebApp } from './support/web-app';

// No Docker engine runs here: these tests read the compose file and the Dockerfiles as Docker
// would and check every service, port, variable and path they name against the repository.
const compose = loadCompose();
const services = compose.services;
const SECRETS = {
  JWT_SECRET: 'c3a91f0e5d7b2846e0f9a1c4b7d3e5f2986a0c4e1b7d5f3a2c8e6b0d4f1a9c7e',
  POSTGRES_PASSWORD: 'p4ssw0rd',
};
const SERVERS = ['web', 'chat-1', 'chat-2'];
const NGINX_IMAGE = readDockerfile('docker/Dockerfile.nginx');

function service(name: string): ComposeService {
  const found = services[name];
  if (!found) throw new Error(`no service ${name}`);
  return found;
}

/** The site nginx renders at start in its container: the template, its ENV, compose's values. */
function renderedSite(): string {
  const env = {
    ...stageEnv(NGINX_IMAGE.at(-1)!),
    ...serviceEnvironment(service('nginx'), SECRETS),
  };
  return envsubst(readRepoFile('nginx/parley.conf.template'), env);
}

/** The `server host:port` entries of each upstream block (one line may hold several). */
function upstreams(site: string): Map<string, { host: string; port: number }[]> {
  const directives = site.replace(/#.*$/gm, '');
  const blocks = [...directives.matchAll(/^upstream (\w+) \{([^}]*)\}/gm)];
  return new Map(
    blocks.map(([, name, body]) => [
      name!,
      body!
        .split(';')
        .map((directive) => /^\s*server ([\w.-]+):(\d+)/.exec(directive))
        .filter((match) => match !== null)
        .map(([, host, port]) => ({ host: host!, port: Number(port) })),
    ]),
  );
}

/** The path a health check command asks for (a compose `test` or a Dockerfile HEALTHCHECK). */
function healthPath(command: string): string {
  const match = /http:\/\/127\.0\.0\.1:(?:\d+|' \+ process\.env\.PORT \+ ')(\/[\w/-]*)/.exec(
    command,
  );
  if (!match) throw new Error(`no health URL in ${command}`);
  return match[1]!;
}

describe('docker-compose.yml', () => {
  it('names an image or a build with an existing Dockerfile for every service', () => {
    expect(Object.keys(services).sort()).toEqual(
      ['chat-1', 'chat-2', 'migrate', 'nginx', 'postgres', 'redis', 'web'].sort(),
    );
    for (const [name, { image, build }] of Object.entries(services)) {
      expect([name, Boolean(image || build)]).toEqual([name, true]);
      if (build) {
        const context = path.resolve(ROOT, build.context ?? '.');
        expect(existsSync(path.join(context, build.dockerfile ?? 'Dockerfile'))).toBe(true);
      }
    }
  });

  it('starts each service after what it needs, with health checks and restart policies', () => {
    for (const [name, definition] of Object.entries(services)) {
      for (const [target, { condition }] of Object.entries(definition.depends_on ?? {})) {
        const dependency = service(target);
        if (condition === 'service_completed_successfully') {
          expect([target, dependency.restart]).toEqual([target, 'no']);
        } else {
          expect([name, target, condition]).toEqual([name, target, 'service_healthy']);
          expect([target, Array.isArray(dependency.healthcheck?.test)]).toEqual([target, true]);
        }
      }
      expect([name, definition.restart]).toEqual([
        name,
        name === 'migrate' ? 'no' : 'unless-stopped',
      ]);
    }
    for (const name of SERVERS) {
      expect(service(name).depends_on?.migrate?.condition).toBe('service_completed_successfully');
      expect(service('nginx').depends_on?.[name]?.condition).toBe('service_healthy');
    }
    expect(service('postgres').volumes).toEqual(['postgres-data:/var/lib/postgresql/data']);
    expect(Object.keys(compose.volumes ?? {})).toEqual(['postgres-data']);
  });

  it('gives web and both chat nodes a production configuration the services accept', () => {
    const schema = /const envSchema = z\.object\(\{([\s\S]*?)\n\}\);/.exec(
      readRepoFile('packages/server-kit/src/config.ts'),
    )![1]!;
    const readVariables = new Set([...schema.matchAll(/^ {2}([A-Z_]+):/gm)].map((m) => m[1]!));
    const postgres = serviceEnvironment(service('postgres'), SECRETS);
    for (const name of SERVERS) {
      const env = serviceEnvironment(service(name), SECRETS);
      // Every variable set is one the services read: a typo would be silently ignored.
      expect(Object.keys(env).filter((key) => !readVariables.has(key))).toEqual([]);
      const config = loadConfig(env);
      expect(config).toMatchObject({ isProduction: true, trustProxy: 1, port: 8080 });
      expect(config.jwtSecret).toBe(SECRETS.JWT_SECRET);
      const database = new URL(config.databaseUrl);
      expect(database.hostname).toBe('postgres');
      expect(decodeURIComponent(database.username)).toBe(postgres.POSTGRES_USER);
      expect(decodeURIComponent(database.password)).toBe(postgres.POSTGRES_PASSWORD);
      expect(database.pathname).toBe(`/${postgres.POSTGRES_DB}`);
      expect(new URL(config.redisUrl!).hostname).toBe('redis');
    }
    expect(service('chat-1').environment?.NODE_ID).toBe('chat-1');
    expect(service('chat-2').environment?.NODE_ID).toBe('chat-2');
    expect(serviceEnvironment(service('migrate'), SECRETS).DATABASE_URL).toBe(
      serviceEnvironment(service('web'), SECRETS).DATABASE_URL,
    );
  });

  it('takes the secrets only from the environment and refuses to start without them', () => {
    const text = readRepoFile('docker-compose.yml');
    for (const secret of Object.keys(SECRETS)) {
      const uses = [...text.matchAll(new RegExp(`\\$\\{${secret}([^}]*)\\}`, 'g'))];
      expect(uses.length).toBeGreaterThan(0);
      for (const [, rest] of uses) expect(rest).toMatch(/^:\?/);
      expect(() => serviceEnvironment(service('web'), { ...SECRETS, [secret]: '' })).toThrow(
        secret,
      );
    }
    expect(text).not.toMatch(/(SECRET|PASSWORD): (?!\$\{)/);
  });

  it('documents every variable it reads in .env.example, and nothing more', () => {
    const documented = readEnvExample();
    const used = composeVariables(readRepoFile('docker-compose.yml'));
    expect([...used].sort()).toEqual([...documented.keys()].sort());
    // The documented values work as they are, once the secrets are filled in.
    const env = { ...Object.fromEntries(documented), ...SECRETS };
    for (const name of SERVERS) {
      expect(loadConfig(serviceEnvironment(service(name), env)).isProduction).toBe(true);
    }
  });

  it('routes nginx to the compose services, on the ports they listen on', () => {
    const site = renderedSite();
    expect(site.split('\n').filter((line) => /^[^#]*\$\{?[A-Z]/.test(line))).toEqual([]);
    const byName = upstreams(site);
    const hosts = (name: string) => byName.get(name)?.map((server) => server.host);
    expect(hosts('parley_web')).toEqual(['web']);
    expect(hosts('parley_chat')).toEqual(['chat-1', 'chat-2']);
    for (const { host, port } of [...byName.values()].flat()) {
      expect([host, port]).toEqual([host, Number(service(host).environment?.PORT)]);
    }
    const listen = /^\s*listen (\d+);/m.exec(site)![1];
    expect(service('nginx').ports).toEqual([`\${PORT:-8080}:${listen}`]);
    expect(site).toContain(`root ${stageEnv(NGINX_IMAGE.at(-1)!).CLIENT_ROOT};`);
  });

  const nginx = '/usr/sbin/nginx';
  (existsSync(nginx) ? it : it.skip)('renders a site nginx accepts', () => {
    // The compose hostnames resolve only on compose's network: here they become 127.0.0.1.
    const site = renderedSite().replace(/\bserver [\w.-]+:/g, 'server 127.0.0.1:');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'parley-compose-nginx-'));
    try {
      for (const folder of ['temp', 'logs']) mkdirSync(path.join(dir, folder));
      writeFileSync(path.join(dir, 'parley.conf'), site);
      writeFileSync(
        path.join(dir, 'nginx.conf'),
        renderLocalNginxConf(dir, path.join(dir, 'parley.conf')),
      );
      const args = ['-t', '-q', '-p', dir, '-c', path.join(dir, 'nginx.conf')];
      const check = spawnSync(nginx, [...args, '-e', path.join(dir, 'logs', 'error.log')], {
        encoding: 'utf8',
      });
      expect(check.stderr).toBe('');
      expect(check.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('checks health on routes the services answer', async () => {
    const serverImage = readDockerfile('docker/Dockerfile.server').at(-1)!;
    const imageCheck = (stage: typeof serverImage) =>
      stage.instructions.find((instruction) => instruction.keyword === 'HEALTHCHECK')!.args;
    const paths = new Set([healthPath(imageCheck(serverImage))]);
    for (const name of SERVERS) {
      const test = service(name).healthcheck!.test!;
      expect(test.every((word) => typeof word === 'string')).toBe(true);
      expect(/127\.0\.0\.1:(\d+)/.exec(test.join(' '))![1]).toBe(service(name).environment?.PORT);
      paths.add(healthPath(test.join(' ')));
    }
    // nginx's own check goes through the template's /healthz location to the website service.
    const edgePath = healthPath(imageCheck(NGINX_IMAGE.at(-1)!));
    expect(readRepoFile('nginx/parley.conf.template')).toMatch(
      new RegExp(`location = ${edgePath} \\{\\s*proxy_pass http://parley_web;`),
    );
    const web = await startWebApp();
    const chat = await startChatNode();
    try {
      for (const url of [web.url, chat.url]) {
        for (const route of paths) {
          expect([url + route, (await fetch(url + route)).status]).toEqual([url + route, 200]);
        }
      }
      expect((await fetch(web.url + edgePath)).status).toBe(200);
    } finally {
      await Promise.all([web.close(), chat.close()]);
    }
  });

  // Needs the compose plugin (no engine): absent here, so this one assertion is skipped.
  const hasComposePlugin = spawnSync('docker', ['compose', 'version']).status === 0;
  (hasComposePlugin ? it : it.skip)('is valid for docker compose config', () => {
    const check = spawnSync('docker', ['compose', '-f', 'docker-compose.yml', 'config', '-q'], {
      cwd: ROOT,
      env: { ...process.env, ...SECRETS },
      encoding: 'utf8',
    });
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
  });
});
