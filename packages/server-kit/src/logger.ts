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

/** Where Knex's own warnings go (its default is console.log): this logger, as JSON lines. */
export function databaseLog(logger: Logger): {
  warn(message: string): void;
  error(message: string): void;
} {
  return {
    warn: (message) => logger.warn({ knex: message }, 'database warning'),
    error: (message) => logger.error({ knex: message }, 'database error'),
  };
}
