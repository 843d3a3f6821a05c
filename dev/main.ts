/**
 * The dev command: local PostgreSQL + Temporal dev server (or the ones named by DATABASE_URL /
 * TEMPORAL_ADDRESS), a worker, the REST API, and a demo rotation, created and rotated once on the first start.
 * Stays up until Ctrl-C. Started again, it reuses `.data/dev`: rotations, secrets and Temporal history survive
 * restarts, and the demo rotation is left as it is (the output says how to rotate it).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { buildApi } from '../src/api/server.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { startLocalStack } from './stack/local-stack.js';
import { dataDir } from '../src/data-dir.js';
import { canBind, freePort } from './stack/process.js';
import { temporalRuntimeMetrics } from '../src/metrics/temporal-runtime.js';
import { addConnection } from '../src/service/connections.js';
import { createProject } from '../src/service/projects.js';
import { getProject } from '../src/store/projects.js';
import { openServiceContext } from '../src/service/context.js';
import { createRotation, getRotationView, rotateRotation } from '../src/service/rotations.js';
import { createRotationSchema } from '../src/domain/rotation-schemas.js';
import type { RotationView } from '../src/domain/rotation-view-schemas.js';
import { readFolderSecrets } from '../src/service/secrets.js';
import { findConnectionByName } from '../src/store/connections.js';
import { findFolder, findRotationByName } from '../src/store/rotations.js';
import { startWorker } from '../src/worker/build-worker.js';
import { rotationWorkflowId } from '../src/workflows/rotation-messages.js';
import { DEMO_ADMIN, DEMO_DATABASE, DEMO_ROLES, prepareDemoTarget, SAMPLE_REQUEST_ROLES } from './demo-target.js';

const DEMO_PROJECT_ID = '00000000-0000-4000-8000-00000000d3e0';
// The demo rotation maps its secrets in /demo, leaving / free for the README's sample request.
const DEMO_PATH = '/demo';
const say = (line = '') => process.stdout.write(`${line}\n`);

/** The root key (or key ring): from the environment, else a file in the data folder created on first start. */
function rootKeys(dir: string): { ROTATOR_ENCRYPTION_KEYS: string } | { ROTATOR_ENCRYPTION_KEY: string } {
  if (process.env.ROTATOR_ENCRYPTION_KEYS) return { ROTATOR_ENCRYPTION_KEYS: process.env.ROTATOR_ENCRYPTION_KEYS };
  if (process.env.ROTATOR_ENCRYPTION_KEY) return { ROTATOR_ENCRYPTION_KEY: process.env.ROTATOR_ENCRYPTION_KEY };
  const file = path.join(dir, 'encryption.key');
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString('base64') + '\n', { mode: 0o600 });
  return { ROTATOR_ENCRYPTION_KEY: readFileSync(file, 'utf8').trim() };
}

/**
 * The API's bootstrap admin token: from the environment, else a file in the data folder created on first start.
 * `file` is set only when the token comes from that file (what the printed hints may point at).
 */
function adminToken(dir: string): { token: string; file?: string } {
  if (process.env.ROTATOR_ADMIN_TOKEN) return { token: process.env.ROTATOR_ADMIN_TOKEN };
  const file = path.join(dir, 'admin.token');
  if (!existsSync(file)) writeFileSync(file, `pgr_admin_${randomBytes(32).toString('base64url')}\n`, { mode: 0o600 });
  return { token: readFileSync(file, 'utf8').trim(), file };
}

async function main(): Promise<void> {
  const dir = path.join(dataDir(), 'dev');
  mkdirSync(dir, { recursive: true });
  say(`==> starting PostgreSQL and Temporal (data in ${dir})`);
  const stack = await startLocalStack({
    dir,
    fresh: false,
    temporalPort: (await canBind(7233)) ? 7233 : undefined,
    uiPort: (await canBind(8233)) ? 8233 : undefined,
  });

  const env = {
    DATABASE_URL: stack.databaseUrl,
    TEMPORAL_ADDRESS: stack.temporalAddress,
    ...rootKeys(dir),
  };
  // The CLI reads this file when these variables are not set, so `npm run cli -- …` just works here.
  writeFileSync(path.join(dir, 'rotator.env'), Object.entries(env).map(([k, v]) => `${k}=${v}`).join('\n') + '\n', { mode: 0o600 });
  // Metrics and probes on the conventional port 9464 (another free one if it is taken), unless set.
  const metricsPort = process.env.ROTATOR_METRICS_PORT ?? String((await canBind(9464)) ? 9464 : await freePort());
  const config = loadConfig({ ...process.env, ...env, ROTATOR_METRICS_PORT: metricsPort });
  const temporalMetrics = await temporalRuntimeMetrics();

  const workerLogFile = path.join(dir, 'worker.log');
  const workerLog = createLogger(config.logLevel, 'pg-rotator-worker', workerLogFile);
  Runtime.install({
    telemetryOptions: temporalMetrics.telemetryOptions,
    logger: new DefaultLogger('INFO', (e) => workerLog.info({ ...e.meta }, e.message)),
    shutdownSignals: [],
  });
  const worker = await startWorker(config, { temporalMetrics });
  say(`==> worker polling task queue pg-rotation (log: ${workerLogFile})`);

  const ctx = await openServiceContext(config);
  const { token, file: tokenFile } = adminToken(dir);
  const api = await buildApi({ ctx, adminToken: token, console: { temporalUi: stack.uiUrl ? { url: stack.uiUrl, namespace: config.temporal.namespace } : config.temporalUi } });
  const apiPort = process.env.ROTATOR_API_PORT
    ? config.api.port
    : (await canBind(8080))
      ? 8080
      : 0;
  const apiUrl = await api.listen({ port: apiPort, host: '127.0.0.1' });
  say(`==> API listening on ${apiUrl} (docs: ${apiUrl}/docs)`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    say('\n==> stopping');
    await api.close().catch(() => {});
    await worker.shutdown().catch(() => {});
    await ctx.close().catch(() => {});
    await stack.stop().catch(() => {});
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());

  // The demo: a project, two roles on database "demo", an admin connection, a rotation, one rotation now.
  if (!(await getProject(ctx.db.pool, DEMO_PROJECT_ID))) await createProject(ctx, { name: 'demo' }, 'dev', DEMO_PROJECT_ID);
  const adminPassword = await prepareDemoTarget(stack.adminUrl);
  let connection = await findConnectionByName(ctx.db.pool, DEMO_PROJECT_ID, 'demo-connection');
  if (!connection) {
    if (!adminPassword) throw new Error(`role ${DEMO_ADMIN} exists but no demo connection does: drop the role or the data folder ${dir}`);
    const url = new URL(stack.adminUrl(DEMO_DATABASE));
    connection = await addConnection(
      ctx,
      {
        name: 'demo-connection',
        projectId: DEMO_PROJECT_ID,
        method: 'username-and-password',
        credentials: { host: url.hostname, port: Number(url.port), database: DEMO_DATABASE, username: DEMO_ADMIN, password: adminPassword, sslEnabled: false, sslRejectUnauthorized: true },
      },
      'dev',
    );
  }
  const demoState = async (v: RotationView): Promise<string> => {
    const secrets = await readFolderSecrets(ctx, { projectId: DEMO_PROJECT_ID, environment: 'dev', secretPath: DEMO_PATH }, 'dev');
    const version = secrets.find((secret) => secret.secretKey === 'POSTGRES_DB_PASSWORD')?.version;
    return `activeIndex=${v.activeIndex} (${DEMO_ROLES[v.activeIndex === 0 ? 0 : 1]} is published), status=${v.rotationStatus}, secret version ${version}, next rotation ${v.nextRotationAt}`;
  };
  const folderId = await findFolder(ctx.db.pool, DEMO_PROJECT_ID, 'dev', DEMO_PATH);
  const existing = folderId ? await findRotationByName(ctx.db.pool, folderId, 'demo-rotation') : null;
  let rotationId: string;
  let view: RotationView;
  if (existing) {
    // Later starts leave the demo as it is: restarting the dev command is no reason to rotate a password.
    rotationId = existing.id;
    view = await getRotationView(ctx, rotationId);
    say(`==> demo rotation ${rotationId} exists (created on an earlier start), not rotated now: ${await demoState(view)}`);
    say(`    rotate it with: npm run cli -- rotation rotate ${rotationId}`);
  } else {
    const created = await createRotation(
      ctx,
      createRotationSchema.parse({
        name: 'demo-rotation',
        projectId: DEMO_PROJECT_ID,
        description: 'pg-rotator demo',
        connectionId: connection.id,
        environment: 'dev',
        secretPath: DEMO_PATH,
        isAutoRotationEnabled: true,
        rotationInterval: 30,
        rotateAtUtc: { hours: 0, minutes: 0 },
        parameters: { username1: DEMO_ROLES[0], username2: DEMO_ROLES[1] },
        secretsMapping: { username: 'POSTGRES_DB_USERNAME', password: 'POSTGRES_DB_PASSWORD' },
      }),
      'dev',
    );
    rotationId = created.id;
    say(`==> created demo rotation ${rotationId}: both roles got fresh passwords, ${DEMO_ROLES[0]} is published`);
    view = await rotateRotation(ctx, rotationId, {}, 'dev');
    say(`==> rotated once (first start only): ${await demoState(view)}`);
  }

  const ui = stack.uiUrl ?? '(your Temporal UI)';
  say('');
  say(`Temporal UI:        ${ui}`);
  say(`This rotation run:  ${ui}/namespaces/default/workflows/${rotationWorkflowId(rotationId)}`);
  say(`Temporal address:   ${stack.temporalAddress}`);
  say(`Control database:   ${stack.databaseUrl.replace(/:[^:@/]+@/, ':***@')}`);
  say('');
  say(`Web console:        ${apiUrl}/   (sign in with the admin token below)`);
  say(`API:                ${apiUrl}   (OpenAPI: ${apiUrl}/openapi.json, docs: ${apiUrl}/docs)`);
  say(`API token (admin):  ${token}   (${tokenFile ? `also in ${tokenFile}` : 'from ROTATOR_ADMIN_TOKEN'})`);
  const ops = `http://${config.metrics!.host}:${config.metrics!.port}`;
  say(`Worker metrics:     ${ops}/metrics   (probes: ${ops}/healthz, ${ops}/readyz)`);
  say('');
  say('Try (in another terminal):');
  say(`  npm run cli -- secrets get POSTGRES_DB_PASSWORD --project ${DEMO_PROJECT_ID} --env dev --path ${DEMO_PATH}`);
  say(`  npm run cli -- rotation rotate ${rotationId}`);
  const bearer = tokenFile ? `$(cat ${tokenFile})` : '$ROTATOR_ADMIN_TOKEN';
  say(`  curl -s -H "Authorization: Bearer ${bearer}" '${apiUrl}/api/v2/secret-rotations/postgres-credentials/${rotationId}'`);
  say(`  The README's sample request works as written with projectId ${DEMO_PROJECT_ID} and connectionId ${connection.id}`);
  say(`  (roles ${SAMPLE_REQUEST_ROLES.join(' and ')} exist on database ${DEMO_DATABASE}); see README.md.`);
  say('');
  say('Ctrl-C stops the worker and the local servers; the data stays in .data/dev for the next start.');
  await worker.run;
}

main().catch((err: unknown) => {
  process.stderr.write(`dev: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
