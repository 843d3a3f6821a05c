import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { startLocalCluster } from '../../dev/stack/postgres-cluster.js';
import { startTemporalDevServer } from '../../dev/stack/temporal-server.js';
import { rotationSearchAttributes as SEARCH_ATTRIBUTES } from '../../src/workflows/search-attributes.js';
import { isPortOpen } from '../../dev/stack/process.js';

const adminUrl = inject('adminDatabaseUrl');
const pgLogFile = inject('pgLogFile');
const localCluster = pgLogFile !== ''; // false when DATABASE_URL points at an external server

async function withClient<T>(connectionString: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function connectError(connectionString: string, password?: string): Promise<Error & { code?: string }> {
  const client = new pg.Client({ connectionString, ...(password === undefined ? {} : { password }) });
  try {
    await client.connect();
  } catch (err) {
    return err as Error & { code?: string };
  } finally {
    await client.end().catch(() => undefined);
  }
  throw new Error('connection unexpectedly succeeded');
}

describe.runIf(localCluster)('local PostgreSQL cluster', () => {
  it('uses scram-sha-256 and never trusts TCP logins', async () => {
    await withClient(adminUrl, async (client) => {
      const { rows: enc } = await client.query<{ password_encryption: string }>('SHOW password_encryption');
      expect(enc[0]?.password_encryption).toBe('scram-sha-256');

      const { rows: rules } = await client.query<{ type: string; auth_method: string; address: string | null }>(
        'SELECT type, auth_method, address FROM pg_hba_file_rules WHERE error IS NULL',
      );
      const hostRules = rules.filter((r) => r.type.startsWith('host'));
      expect(hostRules.length).toBeGreaterThan(0);
      for (const rule of hostRules) expect(rule.auth_method).toBe('scram-sha-256');
      expect(rules.some((r) => r.type === 'host' && r.address === '127.0.0.1')).toBe(true);

      const { rows: verifier } = await client.query<{ scram: boolean }>(
        "SELECT rolpassword LIKE 'SCRAM-SHA-256$%' AS scram FROM pg_authid WHERE rolname = current_user",
      );
      expect(verifier[0]?.scram).toBe(true);

      const { rows: listen } = await client.query<{ listen_addresses: string }>('SHOW listen_addresses');
      expect(listen[0]?.listen_addresses).toBe('127.0.0.1');
    });
  });

  it('refuses a wrong password', async () => {
    const wrong = new URL(adminUrl);
    wrong.password = 'definitely-not-the-password';
    const err = await connectError(wrong.toString());
    expect(err.code).toBe('28P01'); // invalid_password
  });

  it('refuses a TCP login without password (no trust on host lines)', async () => {
    const url = new URL(adminUrl);
    url.password = '';
    // The server asks for SCRAM; with no password the client cannot answer, so no session is opened.
    const err = await connectError(url.toString(), '');
    expect(err.message).toMatch(/password|SASL|SCRAM/i);
  });

  it('logs every statement to the log file', async () => {
    const marker = `infra-log-marker-${randomUUID()}`;
    await withClient(adminUrl, (client) => client.query(`SELECT '${marker}' AS marker`));
    let log = '';
    for (let i = 0; i < 50 && !log.includes(marker); i++) {
      log = await readFile(pgLogFile, 'utf8');
      if (!log.includes(marker)) await new Promise((r) => setTimeout(r, 100));
    }
    expect(log).toContain(`statement: SELECT '${marker}' AS marker`);
  });

  it('restarts, reuses a running cluster, and keeps port and password', async () => {
    const dir = path.join(inject('testDataDir'), 'infra-test-pg');
    const cluster = await startLocalCluster({ dir, fresh: true });
    try {
      const again = await startLocalCluster({ dir }); // already running → reused
      expect(again.port).toBe(cluster.port);
      expect(again.superuserPassword).toBe(cluster.superuserPassword);

      await withClient(cluster.url('rotator'), (c) => c.query('CREATE TABLE survives_restart (id int)'));
      await cluster.restart();
      const { rows } = await withClient(cluster.url('rotator'), (c) =>
        c.query<{ n: string }>("SELECT count(*) AS n FROM pg_tables WHERE tablename = 'survives_restart'"),
      );
      expect(rows[0]?.n).toBe('1');

      await cluster.stop();
      expect(await isPortOpen(cluster.port)).toBe(false);
      const restarted = await startLocalCluster({ dir }); // stopped → started again on the remembered port
      expect(restarted.port).toBe(cluster.port);
      expect(restarted.superuserPassword).toBe(cluster.superuserPassword);
    } finally {
      await cluster.stop();
    }
  });
});

describe('Temporal', () => {
  it('answers GetSystemInfo and lists the registered search attributes', async () => {
    const connection = await Connection.connect({ address: inject('temporalAddress') });
    try {
      const info = await connection.workflowService.getSystemInfo({});
      expect(info.serverVersion).toBeTruthy();
      const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
      // temporal.api.enums.v1.IndexedValueType (stable proto enum values)
      const KEYWORD = 2;
      const DATETIME = 6;
      expect(customAttributes?.[SEARCH_ATTRIBUTES.projectId.name]).toBe(KEYWORD);
      expect(customAttributes?.[SEARCH_ATTRIBUTES.status.name]).toBe(KEYWORD);
      expect(customAttributes?.[SEARCH_ATTRIBUTES.nextAt.name]).toBe(DATETIME);
    } finally {
      await connection.close();
    }
  });

  it('a dev server restarts on the same port and keeps its database', async () => {
    const dir = path.join(inject('testDataDir'), 'infra-test-temporal');
    const server = await startTemporalDevServer({
      dbFile: path.join(dir, 'temporal.db'),
      logFile: path.join(dir, 'temporal.log'),
      fresh: true,
    });
    try {
      const reused = await startTemporalDevServer({ dbFile: path.join(dir, 'temporal.db'), logFile: path.join(dir, 'temporal.log') });
      expect(reused.address).toBe(server.address);

      // A workflow started before the restart is still there afterwards (SQLite persistence).
      const workflowId = `infra-test-${randomUUID()}`;
      const before = await Connection.connect({ address: server.address });
      try {
        await new Client({ connection: before }).workflow.start('noSuchWorkflowType', { taskQueue: 'infra-test', workflowId });
      } finally {
        await before.close();
      }
      await server.restart();
      const after = await Connection.connect({ address: server.address });
      try {
        const handle = new Client({ connection: after }).workflow.getHandle(workflowId);
        expect((await handle.describe()).status.name).toBe('RUNNING');
        await handle.terminate('infra test done');
      } finally {
        await after.close();
      }
    } finally {
      await server.stop();
    }
    expect(await isPortOpen(Number(server.address.split(':')[1]))).toBe(false);
  });
});
