import { appendFileSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { buildApi, type ApiOptions } from '../../src/api/server.js';
import { logsDir } from './stack.js';

/**
 * `buildApi` for tests, with what the leak audit (docs/design.md I3, test/integration/leak-audit.test.ts) must search
 * written to logsDir(): the server's own log (pino, level info: every request, every logged error) in
 * `<name>.log`, and the body of every response with status ≥ 400 in `<name>-error-bodies.log`
 * (one line each: method, route, status, body). Successful bodies are not recorded: generated-credentials and
 * secret reads answer with passwords by design.
 */
export async function buildLoggedApi(name: string, opts: Omit<ApiOptions, 'logger' | 'loggerInstance'>) {
  const dir = logsDir();
  const logger = pino({ level: 'info' }, pino.destination({ dest: path.join(dir, `${name}.log`), sync: true, append: true }));
  const app = await buildApi({ ...opts, loggerInstance: logger });
  const bodies = path.join(dir, `${name}-error-bodies.log`);
  app.addHook('onSend', async (request, reply, payload) => {
    if (reply.statusCode >= 400) {
      const text = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : payload === null || payload === undefined ? '' : '[stream]';
      appendFileSync(bodies, `${request.method} ${request.routeOptions.url ?? '(no route)'} ${reply.statusCode} ${text}\n`);
    }
    return payload;
  });
  return app;
}
