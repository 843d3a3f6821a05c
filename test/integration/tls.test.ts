// TLS to target databases really applies: the CA certificate, reject-unauthorized and the host name check
// (verify-full), for the connection check of addConnection/updateConnection and for the worker's admin pool and
// verifyLogin. The test cluster serves TLS with a server certificate (SAN IP:127.0.0.1, DNS:localhost) signed by a
// throwaway CA that the global setup provides as `pgCaCert`; TLS stays optional for clients there.
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { clientConfig, DEFAULT_TARGET_LIMITS } from '../../src/target/settings.js';
import { createCertificateAuthority, startLocalCluster, type CertificateAuthority, type LocalCluster } from '../../dev/stack/postgres-cluster.js';
import { createConnectionSchema } from '../../src/domain/connection-schemas.js';
import { addConnection, listAllConnections, requireConnection, updateConnection } from '../../src/service/connections.js';
import { HTTP_STATUS, ServiceError } from '../../src/service/errors.js';
import { createProject } from '../../src/service/projects.js';
import { createRotation, rotateRotation } from '../../src/service/rotations.js';
import type { TargetConnection } from '../../src/store/connections.js';
import { rememberPasswords } from '../support/passwords.js';
import { adminDatabase, openTestStack, type TestStack } from '../support/stack.js';

const caCert = inject('pgCaCert'); // '' when DATABASE_URL points at a server we did not start
const pgLogFile = inject('pgLogFile');
const server = new URL(inject('adminDatabaseUrl'));
const suffix = () => randomBytes(4).toString('hex');

let stack: TestStack;
let projectId: string;
let wrongCa: CertificateAuthority;
let otherCluster: LocalCluster | undefined;
/** A plain login role (no privileges) on the test cluster, for the connection checks. */
const login = { username: `tls_login_${suffix()}`, password: randomBytes(18).toString('base64url') };

type Tls = { sslEnabled: boolean; sslRejectUnauthorized?: boolean; sslCertificate?: string | null };

function connectionBody(tls: Tls, to: { host?: string; port?: number; username?: string; password?: string } = {}) {
  return createConnectionSchema.parse({
    name: `tls-${suffix()}`,
    projectId,
    method: 'username-and-password',
    credentials: {
      host: to.host ?? server.hostname,
      port: to.port ?? Number(server.port),
      database: adminDatabase(),
      username: to.username ?? login.username,
      password: to.password ?? login.password,
      ...tls,
    },
  });
}

/** Logs in with the same client settings the worker uses and asks the server whether the session is TLS. */
async function sessionTls(c: TargetConnection, password: string): Promise<{ ssl: boolean; version: string | null }> {
  const client = new pg.Client(clientConfig(c, c.username, password, DEFAULT_TARGET_LIMITS));
  client.on('error', () => {});
  await client.connect();
  try {
    const { rows } = await client.query<{ ssl: boolean; version: string | null }>('SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
    return rows[0]!;
  } finally {
    await client.end();
  }
}

/** The rejection addConnection/updateConnection must give: a 4xx ServiceError naming `credentials`. */
async function expectCredentialsRejected(promise: Promise<unknown>, reason: RegExp): Promise<ServiceError> {
  const err = await promise.then(
    () => expect.fail('the connection check unexpectedly succeeded'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ServiceError);
  const se = err as ServiceError;
  expect(HTTP_STATUS[se.kind]).toBeGreaterThanOrEqual(400);
  expect(HTTP_STATUS[se.kind]).toBeLessThan(500);
  expect(se.details.map((d) => d.field)).toEqual(['credentials']);
  expect(se.message).toMatch(reason);
  expect(se.message).not.toContain(login.password);
  return se;
}

async function storedNames(): Promise<string[]> {
  return (await listAllConnections(stack.ctx, projectId)).map((c) => c.name);
}

/** Lines the server logged from `offset` on (the log is appended to; log_connections is on in a TLS cluster). */
async function logSince(offset: number): Promise<string[]> {
  const fh = await open(pgLogFile, 'r');
  try {
    const size = (await fh.stat()).size;
    const buf = Buffer.alloc(size - offset);
    await fh.read(buf, 0, buf.length, offset);
    return buf.toString('utf8').split('\n');
  } finally {
    await fh.close();
  }
}

describe.runIf(caCert !== '')('TLS to target databases', () => {
  beforeAll(async () => {
    stack = await openTestStack();
    projectId = (await createProject(stack.ctx, { name: `project-tls-${suffix()}` }, 'test')).id;
    await stack.admin.query(`CREATE ROLE ${pg.escapeIdentifier(login.username)} LOGIN PASSWORD ${pg.escapeLiteral(login.password)}`);
    // Another self-signed CA: valid in itself, but it did not sign the server's certificate.
    wrongCa = await createCertificateAuthority(path.join(inject('testDataDir'), `tls-test-wrong-ca-${suffix()}`), 'pg-rotator wrong CA');
  });

  afterAll(async () => {
    if (stack) await rememberPasswords(stack.ctx.db);
    await otherCluster?.stop();
    await stack?.admin.query(`DROP ROLE IF EXISTS ${pg.escapeIdentifier(login.username)}`).catch(() => {});
    await stack?.close();
  });

  it('the test cluster serves TLS and keeps scram-sha-256 on every host line', async () => {
    const { rows } = await stack.admin.query<{ ssl: string }>('SHOW ssl');
    expect(rows[0]?.ssl).toBe('on');
    const rules = await stack.admin.query<{ type: string; auth_method: string }>("SELECT type, auth_method FROM pg_hba_file_rules WHERE type LIKE 'host%'");
    expect(rules.rows.length).toBeGreaterThan(0);
    for (const r of rules.rows) expect(r).toEqual({ type: 'host', auth_method: 'scram-sha-256' }); // TLS optional, password always
    expect(caCert).toMatch(/^-----BEGIN CERTIFICATE-----/);
  });

  it('(a) with the CA certificate and reject-unauthorized: accepted, and the session is TLS', async () => {
    const body = connectionBody({ sslEnabled: true, sslCertificate: caCert, sslRejectUnauthorized: true });
    const created = await addConnection(stack.ctx, body, 'test');
    expect(created).toMatchObject({ sslEnabled: true, sslRejectUnauthorized: true, sslCertificate: caCert });
    const session = await sessionTls(created, login.password);
    expect(session.ssl).toBe(true);
    expect(session.version).toMatch(/^TLSv1\.[23]$/);
  });

  it('(b) with a wrong CA and reject-unauthorized: rejected naming credentials, nothing stored', async () => {
    const body = connectionBody({ sslEnabled: true, sslCertificate: wrongCa.certPem, sslRejectUnauthorized: true });
    await expectCredentialsRejected(addConnection(stack.ctx, body, 'test'), /certificate|issuer/i);
    expect(await storedNames()).not.toContain(body.name);
  });

  it('(b′) TLS without a CA certificate still verifies (against the system CAs), so the throwaway CA is refused', async () => {
    const body = connectionBody({ sslEnabled: true, sslCertificate: null, sslRejectUnauthorized: true });
    await expectCredentialsRejected(addConnection(stack.ctx, body, 'test'), /certificate|issuer/i);
    expect(await storedNames()).not.toContain(body.name);
  });

  it('(c) with the wrong CA but reject-unauthorized off: accepted (encrypted, not authenticated)', async () => {
    // sslRejectUnauthorized: false exists for servers whose certificate cannot be verified from here (self-signed,
    // or a managed service whose CA the user does not have): the traffic is still encrypted against passive
    // eavesdropping. It is dangerous because the server is not authenticated: anyone on the path can present any
    // certificate, sit in the middle (this client does not use SCRAM channel binding), take over the admin session
    // and read the statements that set the new passwords. The CA given is not even looked at, as this test shows.
    const body = connectionBody({ sslEnabled: true, sslCertificate: wrongCa.certPem, sslRejectUnauthorized: false });
    const created = await addConnection(stack.ctx, body, 'test');
    expect(created.sslRejectUnauthorized).toBe(false);
    expect((await sessionTls(created, login.password)).ssl).toBe(true);
  });

  it('(d) sslEnabled false: a plain connection', async () => {
    const created = await addConnection(stack.ctx, connectionBody({ sslEnabled: false, sslRejectUnauthorized: true }), 'test');
    expect(await sessionTls(created, login.password)).toEqual({ ssl: false, version: null });
  });

  it('updateConnection proves the new TLS settings too: the wrong CA is refused and nothing changes, the right one applies', async () => {
    const created = await addConnection(stack.ctx, connectionBody({ sslEnabled: false }), 'test');
    await expectCredentialsRejected(
      updateConnection(stack.ctx, created.id, { credentials: { sslEnabled: true, sslCertificate: wrongCa.certPem, sslRejectUnauthorized: true } }, 'test'),
      /certificate|issuer/i,
    );
    expect(await requireConnection(stack.ctx, created.id)).toMatchObject({ sslEnabled: false, sslCertificate: null, updatedAt: created.updatedAt });

    const updated = await updateConnection(stack.ctx, created.id, { credentials: { sslEnabled: true, sslCertificate: caCert, sslRejectUnauthorized: true } }, 'test');
    expect(updated).toMatchObject({ sslEnabled: true, sslCertificate: caCert });
    expect((await sessionTls(updated, login.password)).ssl).toBe(true);
  });

  it('(e) verify-full: a certificate from the right CA but for another host name is refused at 127.0.0.1', async () => {
    // The test cluster's certificate is valid for 127.0.0.1 and localhost, and no other name reaches it (it listens on
    // 127.0.0.1 only, and we cannot add names to /etc/hosts). So a second throwaway cluster gets a certificate for
    // DNS:db.pg-rotator.invalid only, signed by its own CA, which we then trust: the chain verifies, the name does not.
    otherCluster = await startLocalCluster({
      dir: path.join(inject('testDataDir'), 'tls-test-wrong-name-pg'),
      fresh: true,
      tls: { subjectAltNames: ['DNS:db.pg-rotator.invalid'] },
    });
    const otherCa = otherCluster.tls!.caCertPem;
    const to = { host: '127.0.0.1', port: otherCluster.port, username: otherCluster.superuser, password: otherCluster.superuserPassword };
    const body = connectionBody({ sslEnabled: true, sslCertificate: otherCa, sslRejectUnauthorized: true }, to);
    const err = await expectCredentialsRejected(addConnection(stack.ctx, body, 'test'), /altnames/);
    expect(err.message).toContain('127.0.0.1');
    expect(err.message).not.toContain(otherCluster.superuserPassword);
    expect(await storedNames()).not.toContain(body.name);

    // Control: the same CA with reject-unauthorized off connects over TLS, so only the name check refused it.
    const { password: _, ...creds } = body.credentials;
    const unchecked: TargetConnection = {
      ...creds,
      sslCertificate: otherCa,
      sslRejectUnauthorized: false,
      id: 'probe',
      clusterId: null,
      projectId,
      name: body.name,
      description: null,
      createdAt: '',
      updatedAt: '',
    };
    expect((await sessionTls(unchecked, otherCluster.superuserPassword)).ssl).toBe(true);
  });

  it('(f) a rotation over a verified TLS connection: admin sessions and verifyLogin are TLS end to end', async () => {
    await stack.startWorker('worker-tls');
    const target = await stack.newTarget('tls', { credentials: { sslEnabled: true, sslCertificate: caCert, sslRejectUnauthorized: true } });
    expect(target.connection).toMatchObject({ sslEnabled: true, sslRejectUnauthorized: true });
    const logStart = statSync(pgLogFile).size;

    const created = await createRotation(stack.ctx, target.rotationInput(), 'test');
    expect(created.rotationStatus).toBe('success');
    const rotated = await rotateRotation(stack.ctx, created.id, {}, 'test');
    expect(rotated.rotationStatus).toBe('success');
    expect(rotated.activeIndex).toBe(1);

    // log_connections: "connection authorized: user=… database=… application_name=pg-rotator SSL enabled (protocol=…)".
    // The worker's sessions carry application_name=pg-rotator; the rotated roles log in only in verifyLogin.
    const authorized = (await logSince(logStart)).filter((l) => l.includes('connection authorized:') && l.includes(`database=${target.database} `));
    const sessionsOf = (user: string) => authorized.filter((l) => l.includes(` user=${user} `));
    const verifySessions = target.roles.flatMap(sessionsOf);
    const adminSessions = sessionsOf(target.adminRole);
    expect(sessionsOf(target.roles[0]).length).toBeGreaterThanOrEqual(1);
    expect(sessionsOf(target.roles[1]).length).toBeGreaterThanOrEqual(1);
    expect(verifySessions.length).toBeGreaterThanOrEqual(3); // both slots at create, the new slot at rotate
    expect(adminSessions.length).toBeGreaterThanOrEqual(1);
    for (const line of [...verifySessions, ...adminSessions]) {
      expect(line).toContain('application_name=pg-rotator');
      expect(line).toMatch(/SSL enabled \(protocol=TLSv1\.[23]/);
    }
  });
});
