import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import {
  fillPlaceholders,
  NGINX_TEMPLATE,
  renderLocalNginxConf,
  renderSite,
} from '../../scripts/render-nginx';

const SITE = {
  listen: '127.0.0.1:8080',
  webUpstream: 'web:8080',
  chatUpstreams: ['chat-1:8080', 'chat-2:8080'],
  clientRoot: '/srv/parley',
};

test('when the template is rendered, then every placeholder is filled and each chat node is an upstream server', () => {
  const site = renderSite(SITE);

  expect(site).not.toMatch(/\$\{/);
  expect(site).toContain('listen 127.0.0.1:8080;');
  expect(site).toContain('server web:8080 max_fails=1 fail_timeout=5s;');
  expect(site).toContain('server chat-1:8080 max_fails=1 fail_timeout=5s;');
  expect(site).toContain('server chat-2:8080 max_fails=1 fail_timeout=5s;');
  expect(site).toContain('root /srv/parley;');
  // nginx's own variables are not placeholders.
  expect(site).toContain('hash "$remote_addr$arg_sticky" consistent;');
});

test('when nginx keeps connections to the website service open, then it lets an idle one go before the service would', () => {
  const upstream = /upstream parley_web \{([^}]*)\}/.exec(renderSite(SITE))![1]!;
  const nginxIdleMs = Number(/keepalive_timeout (\d+)s;/.exec(upstream)?.[1]) * 1000;
  // The services keep Node's default.
  const serviceIdleMs = createServer().keepAliveTimeout;

  expect(upstream).toContain('keepalive 16;');
  expect(nginxIdleMs).toBeLessThan(serviceIdleMs);
});

test('when a placeholder has no value, then rendering fails and names it', () => {
  const template = readFileSync(NGINX_TEMPLATE, 'utf8');

  expect(() => fillPlaceholders(template, { LISTEN_PORT: '80' })).toThrow(
    /WEB_UPSTREAM, CHAT_UPSTREAM_SERVERS, CLIENT_ROOT/,
  );
  expect(() => renderSite({ ...SITE, chatUpstreams: [] })).toThrow(/chat node/);
});

test('when the local wrapper is rendered, then pid, logs and temp files stay under the prefix', () => {
  const conf = renderLocalNginxConf('/tmp/stack-x', '/tmp/stack-x/parley.conf');

  expect(conf).toContain('daemon off;');
  expect(conf).toContain('pid /tmp/stack-x/nginx.pid;');
  expect(conf).toContain('include /tmp/stack-x/parley.conf;');
  expect(conf).toContain('access_log /tmp/stack-x/logs/access.log parley;');
  for (const temp of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) {
    expect(conf).toContain(`${temp}_temp_path /tmp/stack-x/temp/${temp};`);
  }
});
