// Renders nginx/parley.conf.template (the site, http context) and, for `npm run stack`, the small
// nginx.conf around it. As a command it prints the site for the environment's values:
//   LISTEN_PORT=80 WEB_UPSTREAM=web:8080 CHAT_UPSTREAMS=chat-1:8080,chat-2:8080 \
//   CLIENT_ROOT=/srv/parley tsx scripts/render-nginx.ts > parley.conf
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const NGINX_TEMPLATE = path.resolve(__dirname, '../nginx/parley.conf.template');
/** Debian's (and the official image's) MIME table. */
export const NGINX_MIME_TYPES = '/etc/nginx/mime.types';

export interface SiteValues {
  /** A port, or address:port (e.g. 127.0.0.1:8080 to stay off other interfaces). */
  listen: string | number;
  /** host:port of server-web. */
  webUpstream: string;
  /** host:port of every chat node. */
  chatUpstreams: string[];
  /** The built client's folder (absolute). */
  clientRoot: string;
}

/** One `server` line per chat node: one failure takes a node out for 5 s (fast failover). */
export function chatUpstreamServers(hosts: string[]): string {
  return hosts.map((host) => `server ${host} max_fails=1 fail_timeout=5s;`).join('\n    ');
}

/**
 * Replaces each `${NAME}` of the template with `values[NAME]`; a placeholder without a value is
 * an error, so a renamed one can never reach nginx half-rendered.
 */
export function fillPlaceholders(template: string, values: Record<string, string>): string {
  const missing = new Set<string>();
  const rendered = template.replace(/\$\{([A-Z][A-Z0-9_]*)\}/g, (_match, name: string) => {
    const value = values[name];
    if (value === undefined) missing.add(name);
    return value ?? '';
  });
  if (missing.size > 0) throw new Error(`no value for ${[...missing].join(', ')}`);
  return rendered;
}

export function renderSite(values: SiteValues, template = readFileSync(NGINX_TEMPLATE, 'utf8')) {
  if (values.chatUpstreams.length === 0) throw new Error('at least one chat node is needed');
  return fillPlaceholders(template, {
    LISTEN_PORT: String(values.listen),
    WEB_UPSTREAM: values.webUpstream,
    CHAT_UPSTREAM_SERVERS: chatUpstreamServers(values.chatUpstreams),
    CLIENT_ROOT: values.clientRoot,
  });
}

/**
 * A whole nginx.conf for one foreground nginx whose pid, logs and temp files all live under
 * `prefix`, including the site file. Access lines use the site's `parley` format.
 */
export function renderLocalNginxConf(prefix: string, siteFile: string): string {
  // Root's workers would otherwise run as `nobody:nobody`, and Debian has no group nobody.
  const user = process.getuid?.() === 0 ? 'user nobody nogroup;\n' : '';
  const temp = (name: string) => path.join(prefix, 'temp', name);
  return `# Written by scripts/render-nginx.ts for npm run stack; everything lives under ${prefix}.
daemon off;
${user}worker_processes 2;
pid ${path.join(prefix, 'nginx.pid')};
error_log ${path.join(prefix, 'logs', 'error.log')} warn;

events {
    worker_connections 4096;
}

http {
    include ${NGINX_MIME_TYPES};
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    client_body_temp_path ${temp('client_body')};
    proxy_temp_path ${temp('proxy')};
    fastcgi_temp_path ${temp('fastcgi')};
    uwsgi_temp_path ${temp('uwsgi')};
    scgi_temp_path ${temp('scgi')};

    include ${siteFile};
    access_log ${path.join(prefix, 'logs', 'access.log')} parley;
}
`;
}

function fromEnvironment(env: NodeJS.ProcessEnv): SiteValues {
  const required = (name: string) => {
    const value = env[name];
    if (!value) throw new Error(`${name} is required`);
    return value;
  };
  return {
    listen: required('LISTEN_PORT'),
    webUpstream: required('WEB_UPSTREAM'),
    chatUpstreams: required('CHAT_UPSTREAMS')
      .split(',')
      .map((host) => host.trim()),
    clientRoot: required('CLIENT_ROOT'),
  };
}

if (require.main === module) {
  try {
    process.stdout.write(renderSite(fromEnvironment(process.env)));
  } catch (error) {
    process.stderr.write(`render-nginx: ${(error as Error).message}\n`);
    process.exit(1);
  }
}
