// One owner per role per PostgreSQL cluster (issue 7, defect 1), on the real stack. Roles are cluster-wide, so a
// second rotation naming a role that a rotation already manages must be refused however it reaches the cluster
// (another folder, another host name, another database), before anything on the target changes; otherwise its
// issue step overwrites the first rotation's passwords and the published pair stops logging in.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApi } from '../../src/api/server.js';
import { startLocalCluster, type LocalCluster } from '../../dev/stack/postgres-cluster.js';
import { createConnectionSchema } from '../../src/domain/connection-schemas.js';
import { addConnection, updateConnection } from '../../src/service/connections.js';
import { createProject } from '../../src/service/projects.js';
import { ServiceError } from '../../src/service/errors.js';
import { checkRotation } from '../../src/service/rotation-check.js';
import { createRotation, deleteRotation } from '../../src/service/rotations.js';
import { readFolderSecrets } from '../../src/service/secrets.js';
import { getConnection, readConnectionPassword, type TargetConnection } from '../../src/store/connections.js';
import { clusterIdentity } from '../../src/target/cluster-identity.js';
import { runCli } from '../support/cli.js';
import { rememberPasswords } from '../support/passwords.js';
import { canLogin, openTestStack, type TestStack, type TestTarget } from '../support/stack.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const server = new URL(inject('adminDatabaseUrl'));
const q = pg.escapeIdentifier;
const suffix = () => randomBytes(4).toString('hex');

let stack: TestStack;
let t: TestTarget;
let adminPassword: string;
let first: { id: string; name: string };
let projectName: string;
let dataDir = '';
let otherCluster: LocalCluster | undefined;
const cleanupRotations: string[] = [];
const extraDatabases: string[] = [];
const extraRoles: string[] = [];

/** Another connection record of the target's project to the same cluster, as the target's admin. */
async function connectionTo(host: string, database: string): Promise<TargetConnection> {
  return addConnection(
    stack.ctx,
    createConnectionSchema.parse({
      name: `conn-${suffix()}`,
      projectId: t.projectId,
      credentials: { host, port: Number(server.port), database, username: t.adminRole, password: adminPassword, sslEnabled: false },
    }),
    'test',
  );
}

async function clusterIdOf(connectionId: string): Promise<string | null> {
  const { rows } = await stack.ctx.db.pool.query('SELECT cluster_id FROM connections WHERE id = $1', [connectionId]);
  return rows[0].cluster_id;
}

/** The roles' password verifiers, read as the superuser: any change on the target shows here. */
async function verifiers(roles: readonly string[]): Promise<Record<string, string>> {
  const { rows } = await stack.admin.query('SELECT rolname, rolpassword FROM pg_authid WHERE rolname = ANY($1) ORDER BY rolname', [roles]);
  return Object.fromEntries(rows.map((r) => [r.rolname, r.rolpassword]));
}

/** What a refused create must not leave behind, in the target's project. */
async function projectFootprint(): Promise<Json> {
  const { rows } = await stack.ctx.db.pool.query(
    `SELECT (SELECT count(*) FROM rotations WHERE project_id = $1)::int AS rotations,
            (SELECT count(*) FROM folders WHERE project_id = $1)::int AS folders,
            (SELECT count(*) FROM audit_events WHERE project_id = $1 AND action LIKE 'rotation.%')::int AS audit,
            (SELECT count(*) FROM secrets s JOIN folders f ON f.id = s.folder_id WHERE f.project_id = $1)::int AS secrets`,
    [t.projectId],
  );
  return rows[0];
}

/** The first rotation is untouched: same verifiers, its published pair logs in, and the drift check is clean. */
async function expectFirstIntact(before: Record<string, string>): Promise<void> {
  expect(await verifiers(t.roles)).toEqual(before);
  const secrets = await readFolderSecrets(stack.ctx, { projectId: t.projectId, environment: 'dev', secretPath: '/' }, 'test');
  const value = (key: string) => secrets.find((s) => s.secretKey === key)!.secretValue;
  expect(value('POSTGRES_DB_USERNAME')).toBe(t.roles[0]);
  expect(await canLogin(t.database, t.roles[0], value('POSTGRES_DB_PASSWORD'))).toBe(true);
  const check = await checkRotation(stack.ctx, first.id, 'test');
  expect(check.drift, check.advice).toBe(false);
  expect(check.slots.map((s) => s.loginOk)).toEqual([true, true]);
}

/**
 * The create is refused as a conflict blaming each field given, naming its role and the first rotation, and it
 * leaves nothing behind.
 */
async function expectRefused(create: () => Promise<unknown>, blamed: { username1?: string; username2?: string }): Promise<ServiceError> {
  const roles = await verifiers(t.roles);
  const footprint = await projectFootprint();
  const err = await create().then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ServiceError);
  const refusal = err as ServiceError;
  expect(refusal.kind, refusal.message).toBe('conflict');
  expect(refusal.details.map((d) => d.field)).toEqual(Object.keys(blamed).map((f) => `parameters.${f}`));
  for (const [f, role] of Object.entries(blamed)) {
    const detail = refusal.details.find((d) => d.field === `parameters.${f}`)!;
    expect(detail.rule).toContain(`role "${role}" is managed by rotation "${first.name}" (environment dev, folder /)`);
  }
  expect(await projectFootprint()).toEqual(footprint);
  await expectFirstIntact(roles);
  return refusal;
}

async function newRole(label: string): Promise<string> {
  const role = `own_${label}_${suffix()}`;
  await stack.admin.query(`CREATE ROLE ${q(role)} LOGIN PASSWORD 'temporary_password'`);
  await stack.admin.query(`GRANT CONNECT ON DATABASE ${q(t.database)} TO ${q(role)}`);
  extraRoles.push(role);
  return role;
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'pg-rotator-own-'));
  stack = await openTestStack();
  await stack.startWorker('role-ownership');
  t = await stack.newTarget('own');
  adminPassword = await readConnectionPassword(stack.ctx.db.pool, stack.ctx.db.box, t.connection.id);
  const { rows } = await stack.ctx.db.pool.query('SELECT name FROM projects WHERE id = $1', [t.projectId]);
  projectName = rows[0].name;
  const created = await createRotation(stack.ctx, t.rotationInput(), 'test');
  first = { id: created.id, name: created.name };
  cleanupRotations.push(created.id);
  await rememberPasswords(stack.ctx.db);
});

afterAll(async () => {
  if (stack) await rememberPasswords(stack.ctx.db).catch(() => {});
  for (const id of cleanupRotations) await deleteRotation(stack.ctx, id, { deleteSecrets: true, revokeGeneratedCredentials: true }, 'test').catch(() => {});
  await otherCluster?.stop();
  for (const db of extraDatabases) await stack?.admin.query(`DROP DATABASE IF EXISTS ${q(db)}`).catch(() => {});
  for (const role of extraRoles) await stack?.admin.query(`DROP ROLE IF EXISTS ${q(role)}`).catch(() => {});
  await stack?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('cluster identity', () => {
  it("is the system identifier, which the connection's CREATEROLE (non-superuser) admin reads, the same for localhost and another database", async () => {
    const { rows } = await stack.admin.query('SELECT rolsuper, rolcreaterole FROM pg_roles WHERE rolname = $1', [t.adminRole]);
    expect(rows[0]).toEqual({ rolsuper: false, rolcreaterole: true });
    const { rows: sys } = await stack.admin.query('SELECT system_identifier::text AS id FROM pg_control_system()');
    expect(await clusterIdOf(t.connection.id)).toBe(`system:${sys[0].id}`);

    const otherDb = `${t.database}_b`;
    await stack.admin.query(`CREATE DATABASE ${q(otherDb)}`);
    extraDatabases.push(otherDb);
    await stack.admin.query(`GRANT CONNECT ON DATABASE ${q(otherDb)} TO ${q(t.adminRole)}`);
    const [local, other] = await Promise.all([connectionTo('localhost', t.database), connectionTo(server.hostname, otherDb)]);
    expect(await clusterIdOf(local.id)).toBe(`system:${sys[0].id}`);
    expect(await clusterIdOf(other.id)).toBe(`system:${sys[0].id}`);
  });

  it('falls back to the server address where pg_control_system() is refused: still one id for localhost, 127.0.0.1 and another database', async () => {
    const ids: string[] = [];
    for (const [host, database] of [['127.0.0.1', t.database], ['localhost', t.database], ['127.0.0.1', 'postgres']] as const) {
      // As a managed service would: the function revoked from PUBLIC (in a transaction never committed).
      const client = new pg.Client({ host, port: Number(server.port), database, user: decodeURIComponent(server.username), password: decodeURIComponent(server.password) });
      await client.connect();
      try {
        await client.query('BEGIN');
        await client.query('REVOKE EXECUTE ON FUNCTION pg_catalog.pg_control_system() FROM PUBLIC');
        await client.query(`SET LOCAL ROLE ${q(t.adminRole)}`);
        await expect(client.query('SAVEPOINT s; SELECT pg_catalog.pg_control_system()')).rejects.toMatchObject({ code: '42501' });
        await client.query('ROLLBACK TO SAVEPOINT s');
        ids.push(await clusterIdentity(client));
      } finally {
        await client.query('ROLLBACK').catch(() => {});
        await client.end();
      }
    }
    expect(ids).toEqual(Array(3).fill(`address:loopback:${server.port}`));
  });
});

describe('one owner per role per cluster', () => {
  it('(a) refuses a second rotation on the same roles in another folder of the same connection', async () => {
    await expectRefused(
      () => createRotation(stack.ctx, t.rotationInput({ name: 'second', secretPath: '/elsewhere' }), 'test'),
      { username1: t.roles[0], username2: t.roles[1] },
    );
  });

  it('refuses it from another project, naming the owner by id only (the caller may not read that project)', async () => {
    const other = await createProject(stack.ctx, { name: `own-other-${suffix()}` }, 'test');
    const foreign = await addConnection(
      stack.ctx,
      createConnectionSchema.parse({
        name: `foreign-${suffix()}`,
        projectId: other.id,
        credentials: { host: 'localhost', port: Number(server.port), database: t.database, username: t.adminRole, password: adminPassword, sslEnabled: false },
      }),
      'test',
    );
    const before = await verifiers(t.roles);
    const err = await createRotation(stack.ctx, t.rotationInput({ name: 'foreign', projectId: other.id, connectionId: foreign.id }), 'test').then(
      () => null,
      (e: unknown) => e as ServiceError,
    );
    expect(err?.kind).toBe('conflict');
    expect(err?.details.map((d) => d.field)).toEqual(['parameters.username1', 'parameters.username2']);
    expect(err?.message).toContain(`role "${t.roles[0]}" is managed by rotation ${first.id} of another project`);
    expect(err?.message).not.toContain(first.name);
    expect(err?.message).not.toContain(projectName);
    expect(await verifiers(t.roles)).toEqual(before);
  });

  it('(b) refuses it through another connection record that says localhost instead of 127.0.0.1', async () => {
    expect(server.hostname).toBe('127.0.0.1');
    const local = await connectionTo('localhost', t.database);
    const err = await expectRefused(
      () => createRotation(stack.ctx, t.rotationInput({ name: 'third', secretPath: '/local', connectionId: local.id }), 'test'),
      { username1: t.roles[0], username2: t.roles[1] },
    );
    expect(err.message).toMatch(/^parameters\.username1 must name a role no other rotation manages on this PostgreSQL cluster: role ".+" is managed by rotation/);
  });

  it('(c) refuses it through a connection to another database of the same cluster, also for one role in the other slot', async () => {
    const otherDb = `${t.database}_c`;
    await stack.admin.query(`CREATE DATABASE ${q(otherDb)}`);
    extraDatabases.push(otherDb);
    await stack.admin.query(`GRANT CONNECT ON DATABASE ${q(otherDb)} TO ${q(t.adminRole)}`);
    const other = await connectionTo(server.hostname, otherDb);
    await expectRefused(
      () => createRotation(stack.ctx, t.rotationInput({ name: 'fourth', secretPath: '/otherdb', connectionId: other.id }), 'test'),
      { username1: t.roles[0], username2: t.roles[1] },
    );
    const fresh = await newRole('fresh');
    await expectRefused(
      () =>
        createRotation(stack.ctx, t.rotationInput({ name: 'fifth', secretPath: '/otherdb', connectionId: other.id, parameters: { username1: fresh, username2: t.roles[0] } }), 'test'),
      { username2: t.roles[0] },
    );
    // Refused before the workflow: the fresh role was not touched either.
    expect(await canLogin(t.database, fresh, 'temporary_password')).toBe(true);
  });

  it('compares role names exactly, as PostgreSQL does: the same name in another case is another role', async () => {
    const upper = t.roles[0].toUpperCase();
    await stack.admin.query(`CREATE ROLE ${q(upper)} LOGIN PASSWORD 'temporary_password'`);
    await stack.admin.query(`GRANT CONNECT ON DATABASE ${q(t.database)} TO ${q(upper)}`);
    extraRoles.push(upper);
    const fresh = await newRole('case');
    const before = await verifiers(t.roles);
    const created = await createRotation(
      stack.ctx,
      t.rotationInput({ name: 'upper-case', secretPath: '/case', parameters: { username1: upper, username2: fresh } }),
      'test',
    );
    cleanupRotations.push(created.id);
    await rememberPasswords(stack.ctx.db);
    expect(created.activeIndex).toBe(0);
    await expectFirstIntact(before);
  });

  it('the API answers 409 and the CLI exits 4, naming the role and the rotation that owns it', async () => {
    const adminToken = randomBytes(32).toString('base64url');
    const app = await buildApi({ ctx: stack.ctx, adminToken });
    try {
      const res = await app.inject({
        method: 'POST',
        url: '/api/v2/secret-rotations/postgres-credentials',
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        payload: JSON.stringify(t.rotationBody({ name: 'via-api', secretPath: '/api' })),
      });
      expect(res.statusCode, res.body).toBe(409);
      const body = JSON.parse(res.body) as Json;
      expect(body.details.map((d: Json) => d.field)).toEqual(['parameters.username1', 'parameters.username2']);
      expect(body.message).toContain(`role "${t.roles[0]}" is managed by rotation "${first.name}"`);
    } finally {
      await app.close();
    }

    const before = await projectFootprint();
    const cli = await runCli(
      [
        'rotation', 'create', '--name', 'via-cli', '--project', t.projectId, '--connection', t.connection.id, '--env', 'dev', '--path', '/cli',
        '--interval', '30', '--username1', t.roles[0], '--username2', t.roles[1], '--username-secret', 'CLI_U', '--password-secret', 'CLI_P',
      ],
      { dataDir },
    );
    expect(cli.code, cli.stderr).toBe(4);
    expect(cli.stdout).toBe('');
    expect(cli.stderr).toContain(`role "${t.roles[0]}" is managed by rotation "${first.name}" (environment dev, folder /)`);
    expect(cli.stderr).toContain('(set by --username1)');
    expect(await projectFootprint()).toEqual(before);
  });

  it('two creates racing for the same roles: exactly one wins, the other is refused naming the winner', async () => {
    const roles = [await newRole('race1'), await newRole('race2')];
    const local = await connectionTo('localhost', t.database);
    const body = (name: string, connectionId: string) =>
      t.rotationInput({ name, secretPath: `/${name}`, connectionId, parameters: { username1: roles[0], username2: roles[1] } });
    const results = await Promise.allSettled([
      createRotation(stack.ctx, body('race-a', t.connection.id), 'test'),
      createRotation(stack.ctx, body('race-b', local.id), 'test'),
    ]);
    for (const r of results) if (r.status === 'fulfilled') cleanupRotations.push(r.value.id);
    await rememberPasswords(stack.ctx.db);
    const won = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const lost = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as ServiceError] : []));
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]).toMatchObject({ kind: 'conflict' });
    expect(lost[0]!.message).toContain(`role "${roles[0]}" is managed by rotation "${won[0]!.name}"`);
    const creds = (await readFolderSecrets(stack.ctx, { projectId: t.projectId, environment: 'dev', secretPath: `/${won[0]!.name}` }, 'test'))
      .find((s) => s.secretKey === 'POSTGRES_DB_PASSWORD')!;
    expect(await canLogin(t.database, roles[0]!, creds.secretValue)).toBe(true);
  });

  it('a connection in use cannot be moved to another cluster (naming the field); to another database of the same one it can', async () => {
    otherCluster = await startLocalCluster({ dir: path.join(inject('testDataDir'), 'role-ownership-other-pg'), fresh: true });
    const before = (await getConnection(stack.ctx.db.pool, t.connection.id))!;
    const err = await updateConnection(
      stack.ctx,
      t.connection.id,
      { credentials: { port: otherCluster.port, username: otherCluster.superuser, password: otherCluster.superuserPassword, database: 'postgres' } },
      'test',
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServiceError);
    expect((err as ServiceError).kind).toBe('conflict');
    expect((err as ServiceError).details.map((d) => d.field)).toEqual(['credentials.port']);
    expect((err as ServiceError).message).toMatch(new RegExp(`rotations use this connection \\([^)]*\\b${first.name}\\b`));
    expect(await getConnection(stack.ctx.db.pool, t.connection.id)).toEqual(before);

    const otherDb = `${t.database}_d`;
    await stack.admin.query(`CREATE DATABASE ${q(otherDb)}`);
    extraDatabases.push(otherDb);
    await stack.admin.query(`GRANT CONNECT ON DATABASE ${q(otherDb)} TO ${q(t.adminRole)}`);
    const moved = await updateConnection(stack.ctx, t.connection.id, { credentials: { database: otherDb } }, 'test');
    expect(moved.database).toBe(otherDb);
    await updateConnection(stack.ctx, t.connection.id, { credentials: { database: t.database } }, 'test');
  });

  it('a connection recorded before clusters were is identified when a rotation is created on it, with its rotations owning their roles', async () => {
    const legacy = await connectionTo(server.hostname, t.database);
    const roles = [await newRole('legacy1'), await newRole('legacy2')];
    const old = await createRotation(
      stack.ctx,
      t.rotationInput({ name: 'legacy', secretPath: '/legacy', connectionId: legacy.id, parameters: { username1: roles[0], username2: roles[1] } }),
      'test',
    );
    cleanupRotations.push(old.id);
    await rememberPasswords(stack.ctx.db);
    // As the rows of a release before cluster ids: no cluster, no owners.
    await stack.ctx.db.pool.query('UPDATE connections SET cluster_id = NULL WHERE id = $1', [legacy.id]);
    await stack.ctx.db.pool.query('DELETE FROM role_owners WHERE rotation_id = $1', [old.id]);

    const err = await createRotation(
      stack.ctx,
      t.rotationInput({ name: 'legacy-2', secretPath: '/legacy-2', connectionId: legacy.id, parameters: { username1: roles[1], username2: await newRole('legacy3') } }),
      'test',
    ).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'conflict', details: [{ field: 'parameters.username1' }] });
    expect((err as ServiceError).message).toContain(`role "${roles[1]}" is managed by rotation "legacy"`);
  });

  it('a create the target refuses (preflight) releases the roles it claimed', async () => {
    const role = await newRole('preflight');
    const err = await createRotation(
      stack.ctx,
      t.rotationInput({ name: 'preflight', secretPath: '/preflight', parameters: { username1: role, username2: `missing_${suffix()}` } }),
      'test',
    ).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'validation', details: [{ field: 'parameters.username2' }] });
    const { rows } = await stack.ctx.db.pool.query('SELECT count(*)::int AS n FROM role_owners WHERE role_name = $1', [role]);
    expect(rows[0].n).toBe(0);
  });

  it('deleting a rotation releases its roles: a new rotation may take them', async () => {
    await deleteRotation(stack.ctx, first.id, { deleteSecrets: true, revokeGeneratedCredentials: false }, 'test');
    const local = await connectionTo('localhost', t.database);
    const again = await createRotation(stack.ctx, t.rotationInput({ name: 'after-delete', secretPath: '/after', connectionId: local.id }), 'test');
    cleanupRotations.push(again.id);
    await rememberPasswords(stack.ctx.db);
    expect(again.activeIndex).toBe(0);
    const secrets = await readFolderSecrets(stack.ctx, { projectId: t.projectId, environment: 'dev', secretPath: '/after' }, 'test');
    const password = secrets.find((s) => s.secretKey === 'POSTGRES_DB_PASSWORD')!.secretValue;
    expect(await canLogin(t.database, t.roles[0], password)).toBe(true);
  });
});
