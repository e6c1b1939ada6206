import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { renderLocalNginxConf, renderSite } from '../render-nginx';
import type { Launch } from './service-process';

/** Debian's nginx unless NGINX_BIN names another. */
export function nginxBinary(): string {
  return process.env.NGINX_BIN || (existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx');
}

export interface NginxSite {
  /** Listen on this address only (default: every interface). */
  host?: string;
  webPort: number;
  chatPorts: number[];
  clientRoot: string;
  /** The site template's text (default: nginx/parley.conf.template). */
  template?: string;
}

/**
 * nginx in the foreground with the project's site for these upstreams; its pid, logs and temp
 * files live under `runDir` (made ready here). The configuration is checked (`nginx -t`) before anything starts.
 */
export async function nginxLaunch(runDir: string, site: NginxSite): Promise<Launch> {
  const siteFile = path.join(runDir, 'parley.conf');
  const confFile = path.join(runDir, 'nginx.conf');
  const args = ['-p', runDir, '-c', confFile, '-e', path.join(runDir, 'logs', 'error.log')];
  const writeSite = (port: number) =>
    writeFile(
      siteFile,
      renderSite(
        {
          listen: site.host ? `${site.host}:${port}` : port,
          webUpstream: `127.0.0.1:${site.webPort}`,
          chatUpstreams: site.chatPorts.map((chatPort) => `127.0.0.1:${chatPort}`),
          clientRoot: site.clientRoot,
        },
        site.template,
      ),
    );
  // nginx's workers (nobody, when started as root) must reach the temp folders.
  await chmod(runDir, 0o755);
  await mkdir(path.join(runDir, 'logs'), { recursive: true });
  await mkdir(path.join(runDir, 'temp'), { recursive: true });
  await writeFile(confFile, renderLocalNginxConf(runDir, siteFile));
  // A broken configuration is reported in nginx's words, before anything listens.
  await writeSite(8080);
  const check = spawnSync(nginxBinary(), ['-t', '-q', ...args], { encoding: 'utf8' });
  if (check.error)
    throw new Error(`nginx could not run (${nginxBinary()}): ${check.error.message}`);
  if (check.status !== 0) throw new Error(`nginx rejected the configuration:\n${check.stderr}`);
  return {
    name: 'nginx',
    command: nginxBinary(),
    args: () => args,
    env: () => process.env,
    healthUrl: (port) => `http://127.0.0.1:${port}/healthz`,
    prepare: writeSite,
    signalOnExit: 'SIGTERM',
  };
}
