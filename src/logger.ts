import pino from 'pino';

/**
 * Structured logs to stderr (or a file). Known secret-bearing keys are censored by pino's redaction as a second line of
 * defence; the first is that code never puts a password into a log call.
 */
export function createLogger(level: string, name = 'pg-rotator', file?: string) {
  return pino(
    {
      name,
      level,
      redact: { paths: ['password', '*.password', 'adminPassword', '*.adminPassword', 'secretValue', '*.secretValue'], censor: '[REDACTED]' },
    },
    pino.destination(file ? { dest: file, mkdir: true, sync: false } : 2),
  );
}

