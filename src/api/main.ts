import { loadConfigOrExit, requireDatabaseUrl } from '../config.js';
import { startOpsServer } from '../metrics/ops-server.js';
import { rotationGauges } from '../metrics/rotation-gauges.js';
import { migrate } from '../store/migrate.js';
import { openServiceContext } from '../service/context.js';
import { buildApi } from './server.js';

const config = loadConfigOrExit();
await migrate(requireDatabaseUrl(config));
const ctx = await openServiceContext(config);
const app = await buildApi({ ctx, adminToken: config.api.adminToken, logger: { level: config.logLevel }, tls: config.apiTls, console: { temporalUi: config.temporalUi } });
const metrics = config.metrics ? await startOpsServer({ ...config.metrics, registry: rotationGauges(ctx.db.pool) }) : null;
if (metrics) app.log.info({ url: `${metrics.url}/metrics` }, 'metrics listening');
const shutdown = async () => {
  await metrics?.close();
  await app.close();
  await ctx.close();
  process.exit(0);
};
process.on('SIGINT', () => void shutdown());
process.on('SIGTERM', () => void shutdown());
await app.listen({ port: config.api.port, host: config.api.host });

