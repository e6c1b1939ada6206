import pino, { type Logger } from 'pino';

export type { Logger };

/** JSON lines on stdout; tokens and cookies never reach the log. */
export function createLogger(options: { level: string; name: string }): Logger {
  return pino({
    name: options.name,
    level: options.level,
    redact: ['req.headers.cookie', 'req.headers.authorization', 'res.headers["set-cookie"]'],
  });
}
