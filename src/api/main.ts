import { z } from 'zod';
import { loadConfig, requireDatabaseUrl } from '../config.js';
import { migrate } from '../store/migrate.js';
import { openServiceContext } from '../service/context.js';
import { buildApi } from './server.js';

const port = z.coerce.number().int().min(0).max(65535).default(8080).parse(process.env.ROTATOR_API_PORT);
const host = process.env.ROTATOR_API_HOST ?? '127.0.0.1';
const config = loadConfig();
await migrate(requireDatabaseUrl(config));
const ctx = await openServiceContext(config);
const app = await buildApi({ ctx, adminToken: process.env.ROTATOR_ADMIN_TOKEN, logger: { level: config.logLevel }, console: { temporalUi: config.temporalUi } });
const shutdown = async () => {
  await app.close();
  await ctx.close();
  process.exit(0);
};
process.on('SIGINT', () => void shutdown());
process.on('SIGTERM', () => void shutdown());
await app.listen({ port, host });
