// API tokens against the real control database, and the project, token and run commands of the real CLI.
import { spawn } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { projectIdOption } from '../../src/cli/flags.js';
import { projectRoot } from '../../src/data-dir.js';
import { createTokenSchema } from '../../src/domain/token-schemas.js';
import { parseInput, ServiceError } from '../../src/service/errors.js';
import { createRotation, deleteRotation } from '../../src/service/rotations.js';
import { readFolderSecrets } from '../../src/service/secrets.js';
import {
  AuthError,
  authenticate,
  authorize,
  createToken,
  listTokens,
  revokeToken,
  TOKEN_ACTIONS,
} from '../../src/service/tokens.js';
import { runCli as runCliIn, type CliOptions, type CliResult } from '../support/cli.js';
import { rememberPasswords } from '../support/passwords.js';
import { openTestStack, stackEnv, type TestStack, type TestTarget } from '../support/stack.js';

let stack: TestStack;
let dataDir = '';
/** Every token this file creates: none may appear in a stored row, an audit event or the statement log. */
const issued: string[] = [];
const ADMIN = randomBytes(32).toString('base64url');

function runCli(args: string[], opts: Omit<CliOptions, 'dataDir'> = {}): Promise<CliResult> {
  return runCliIn(args, { dataDir, ...opts });
}

function okJson<T = Record<string, unknown>>(r: CliResult): T {
  expect(r.stderr, 'stderr').toBe('');
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as T;
}

const suffix = () => randomBytes(3).toString('hex');

async function newProject(): Promise<string> {
  const r = await runCli(['project', 'create', '--name', `tok-${suffix()}`, '--json']);
  return okJson<{ id: string }>(r).id;
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'pg-rotator-tokens-'));
  stack = await openTestStack();
});

afterAll(async () => {
  await stack?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('API tokens (service, real control database)', () => {
  it('create → authenticate → revoke → null; the row holds only sha256(token); audit events hold no token', async () => {
    const projectId = await newProject();
    const created = await createToken(stack.ctx, { name: 'ci deploys', projectId, actions: ['read', 'rotate'] }, 'test');
    issued.push(created.token);
    expect(created).toMatchObject({ name: 'ci deploys', projectId, actions: ['read', 'rotate'] });
    expect(created.token).toMatch(/^pgr_[A-Za-z0-9_-]{43}$/);

    const { rows } = await stack.ctx.db.pool.query('SELECT * FROM api_tokens WHERE id = $1', [created.id]);
    expect(rows).toHaveLength(1);
    const row = rows[0] as Record<string, unknown>;
    expect((row.token_hash as Buffer).equals(createHash('sha256').update(created.token).digest())).toBe(true);
    const rowText = JSON.stringify(row) + (row.token_hash as Buffer).toString('latin1');
    expect(rowText).not.toContain(created.token);
    expect(rowText).not.toContain(created.token.slice(4));
    expect(row.last_used_at).toBeNull();

    const principal = await authenticate(stack.ctx.db.pool, `Bearer ${created.token}`, ADMIN);
    expect(principal).toMatchObject({ tokenId: created.id, name: 'ci deploys', projectId });
    expect([...principal!.actions]).toEqual(['read', 'rotate']);
    expect(() => authorize(principal, 'rotate', projectId)).not.toThrow();
    expect(() => authorize(principal, 'read-secrets', projectId)).toThrow(AuthError);
    expect(() => authorize(principal, 'read', randomUUID())).toThrow(AuthError);
    const used = await stack.ctx.db.pool.query('SELECT last_used_at FROM api_tokens WHERE id = $1', [created.id]);
    expect(used.rows[0].last_used_at).toBeInstanceOf(Date);

    const listed = await listTokens(stack.ctx, projectId);
    expect(listed).toEqual([expect.objectContaining({ id: created.id, revokedAt: null, lastUsedAt: expect.any(String) })]);
    expect(JSON.stringify(listed)).not.toMatch(/hash|pgr_/);

    const revoked = await revokeToken(stack.ctx, created.id, 'test');
    expect(revoked.revokedAt).toEqual(expect.any(String));
    expect(await authenticate(stack.ctx.db.pool, `Bearer ${created.token}`, ADMIN)).toBeNull();
    // Revoking again changes nothing and records nothing.
    expect((await revokeToken(stack.ctx, created.id, 'test')).revokedAt).toBe(revoked.revokedAt);

    const audit = await stack.ctx.db.pool.query(
      "SELECT action, actor, details FROM audit_events WHERE details->>'tokenId' = $1 ORDER BY id",
      [created.id],
    );
    expect(audit.rows.map((r) => r.action)).toEqual(['token.created', 'token.revoked']);
    expect(audit.rows[0].details).toEqual({ tokenId: created.id, name: 'ci deploys', actions: ['read', 'rotate'] });
    expect(JSON.stringify(audit.rows)).not.toContain(created.token.slice(4));
  });

  it('createToken checks the body (parsed at the edge) and the project; revoke of an unknown token → not found', async () => {
    // As the CLI calls them: the body and the --project filter are parsed once, then the service takes them.
    const createFromBody = async (body: unknown) => createToken(stack.ctx, parseInput(createTokenSchema, body), 'test');
    const listFromFlag = async (project: string) => listTokens(stack.ctx, projectIdOption(project));
    const missing = randomUUID();
    await expect(createToken(stack.ctx, { name: 'x', projectId: missing, actions: ['read'] }, 'test')).rejects.toMatchObject({
      kind: 'not-found',
      message: `projectId must name an existing project: ${missing} not found`,
    });
    const bad = await createFromBody({ name: '', projectId: 'p', actions: [] }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(ServiceError);
    expect((bad as ServiceError).details.map((d) => d.field)).toEqual(['name', 'projectId', 'actions']);
    await expect(revokeToken(stack.ctx, randomUUID(), 'test')).rejects.toMatchObject({ kind: 'not-found' });
    await expect(revokeToken(stack.ctx, 'nope', 'test')).rejects.toMatchObject({ kind: 'not-found' });
    await expect(listFromFlag('nope')).rejects.toMatchObject({ kind: 'validation', message: 'projectId must be a UUID' });
  });

  it('ROTATOR_ADMIN_TOKEN authenticates as the all-projects admin; a weak one is refused; garbage → null', async () => {
    const admin = await authenticate(stack.ctx.db.pool, `Bearer ${ADMIN}`, ADMIN);
    expect(admin).toMatchObject({ tokenId: null, projectId: null });
    expect(admin!.actions.size).toBe(TOKEN_ACTIONS.length);
    expect(() => authorize(admin, 'delete', null)).not.toThrow();
    await expect(authenticate(stack.ctx.db.pool, `Bearer ${ADMIN}`, ADMIN.slice(0, 20))).rejects.toThrow(/ROTATOR_ADMIN_TOKEN must be at least 32/);
    for (const header of [undefined, '', `Bearer ${ADMIN}x`, `Bearer pgr_${'A'.repeat(43)}`, 'Bearer pgr_short', `Token ${ADMIN}`]) {
      expect(await authenticate(stack.ctx.db.pool, header, ADMIN)).toBeNull();
    }
  });
});

describe('CLI: project and token commands', () => {
  it('project create / get / list / env add; a duplicate name or slug → exit 4; a bad name → exit 2 before connecting', async () => {
    const name = `cli-project-${suffix()}`;
    const created = okJson<{ id: string; name: string; environments: { slug: string; name: string }[] }>(
      await runCli(['project', 'create', '--name', name, '--json']),
    );
    expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.environments.map((e) => e.slug)).toEqual(['dev', 'staging', 'prod']);

    const [text, dup, bad, list] = await Promise.all([
      runCli(['project', 'get', created.id]),
      runCli(['project', 'create', '--name', name]),
      runCli(['project', 'create', '--name', ''], { env: { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' } }),
      runCli(['project', 'list', '--json']),
    ]);
    // After `project get` above, so that its environment list is deterministic.
    const env = await runCli(['project', 'env', 'add', created.id, '--slug', 'qa', '--name', 'QA', '--json']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^id: +${created.id}$`, 'm'));
    expect(text.stdout).toMatch(/^environments: +dev \(Development\), staging \(Staging\), prod \(Production\)$/m);
    expect(dup.code).toBe(4);
    expect(dup.stderr).toMatch(/name must be unique/);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('error: name must not be empty (set by --name)\n');
    expect(okJson<{ id: string }[]>(list).map((p) => p.id)).toContain(created.id);
    expect(okJson(env)).toMatchObject({ projectId: created.id, slug: 'qa', name: 'QA' });

    const [again, after, missing] = await Promise.all([
      runCli(['project', 'env', 'add', created.id, '--slug', 'qa', '--name', 'QA again']),
      runCli(['project', 'get', created.id, '--json']),
      runCli(['project', 'get', randomUUID()]),
    ]);
    expect(again.code).toBe(4);
    expect(okJson<{ environments: { slug: string }[] }>(after).environments.map((e) => e.slug)).toEqual(['dev', 'staging', 'prod', 'qa']);
    expect(missing.code).toBe(3);
  });

  it('token create prints the token once (text with a warning, and --json); list never shows it; revoke stops it', async () => {
    const projectId = await newProject();
    const [text, json, bad] = await Promise.all([
      runCli(['token', 'create', '--project', projectId, '--name', 'text one', '--actions', 'read,read-secrets']),
      runCli(['token', 'create', '--project', projectId, '--name', 'json one', '--actions', 'read, rotate', '--json']),
      runCli(['token', 'create', '--project', projectId, '--name', 'bad', '--actions', 'read,sudo', '--json']),
    ]);
    expect(text.code, text.stderr).toBe(0);
    const textToken = /^token: +(pgr_\S+)$/m.exec(text.stdout)?.[1];
    expect(textToken).toMatch(/^pgr_[A-Za-z0-9_-]{43}$/);
    expect(text.stdout).toMatch(/cannot be shown again/);
    expect(text.stdout).toMatch(/^actions: +read, read-secrets$/m);
    const created = okJson<{ token: string; id: string; actions: string[]; projectId: string }>(json);
    expect(created).toMatchObject({ projectId, actions: ['read', 'rotate'] });
    issued.push(textToken!, created.token);
    expect(bad.code).toBe(2);
    expect(JSON.parse(bad.stderr)).toMatchObject({ error: 'validation', details: [{ field: 'actions[1]' }] });

    expect(await authenticate(stack.ctx.db.pool, `Bearer ${created.token}`, undefined)).toMatchObject({ tokenId: created.id, projectId });
    expect(await authenticate(stack.ctx.db.pool, `bearer ${textToken}`, undefined)).toMatchObject({ name: 'text one' });

    const [listJson, listText] = await Promise.all([
      runCli(['token', 'list', '--project', projectId, '--json']),
      runCli(['token', 'list', '--project', projectId]),
    ]);
    const rows = okJson<{ id: string; name: string; revokedAt: string | null }[]>(listJson);
    expect(rows.map((r) => r.name).sort()).toEqual(['json one', 'text one']);
    expect(listText.stdout).toMatch(/^ID +NAME +PROJECT +ACTIONS +LAST USED +STATUS$/m);
    for (const out of [listJson.stdout, listText.stdout]) {
      expect(out).not.toContain(created.token);
      expect(out).not.toContain(textToken);
      expect(out).not.toMatch(/hash/i);
    }

    const revoked = okJson<{ id: string; revokedAt: string }>(await runCli(['token', 'revoke', created.id, '--json']));
    expect(revoked).toMatchObject({ id: created.id, revokedAt: expect.any(String) });
    expect(await authenticate(stack.ctx.db.pool, `Bearer ${created.token}`, undefined)).toBeNull();
    const after = okJson<{ id: string; revokedAt: string | null }[]>(await runCli(['token', 'list', '--project', projectId, '--json']));
    expect(after.find((r) => r.id === created.id)?.revokedAt).toEqual(expect.any(String));
    const unknown = await runCli(['token', 'revoke', randomUUID()]);
    expect(unknown.code).toBe(3);
  });

  it('no token reached the statement log or any audit event', async () => {
    expect(issued.length).toBeGreaterThanOrEqual(3);
    const audit = await stack.ctx.db.pool.query("SELECT details::text AS d FROM audit_events WHERE action LIKE 'token.%'");
    const auditText = audit.rows.map((r) => r.d as string).join('\n');
    const logFile = inject('pgLogFile');
    const log = logFile && existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
    for (const token of issued) {
      expect(auditText).not.toContain(token.slice(4));
      expect(log).not.toContain(token.slice(4));
    }
  });
});

describe('CLI: run', () => {
  let target: TestTarget;
  let badKeys: TestTarget;
  const rotations: string[] = [];
  let username = '';
  let password = '';

  beforeAll(async () => {
    await stack.startWorker('tokens-test');
    [target, badKeys] = await Promise.all([stack.newTarget('run'), stack.newTarget('runbad')]);
    const [a, b] = await Promise.all([
      createRotation(stack.ctx, target.rotationInput(), 'test'),
      createRotation(stack.ctx, badKeys.rotationInput({ secretsMapping: { username: 'db-user', password: 'DB_PASSWORD' } }), 'test'),
    ]);
    rotations.push(a.id, b.id);
    const secrets = await readFolderSecrets(stack.ctx, { projectId: target.projectId, environment: 'dev', secretPath: '/' }, 'test');
    username = secrets.find((s) => s.secretKey === 'POSTGRES_DB_USERNAME')!.secretValue;
    password = secrets.find((s) => s.secretKey === 'POSTGRES_DB_PASSWORD')!.secretValue;
    await rememberPasswords(stack.ctx.db);
  });

  afterAll(async () => {
    for (const id of rotations) await deleteRotation(stack.ctx, id, { deleteSecrets: true, revokeGeneratedCredentials: true }, 'test').catch(() => {});
  });

  const scope = () => ['--project', target.projectId, '--env', 'dev', '--path', '/'];

  it('the child sees the mapped secrets as variables and not the rotator\'s own secrets; nothing secret is printed; the read is audited', async () => {
    expect(username).toBe(target.roles[0]);
    const check = [
      'const e = process.env;',
      `const ok = e.POSTGRES_DB_USERNAME === ${JSON.stringify(username)} && e.POSTGRES_DB_PASSWORD === ${JSON.stringify(password)}`,
      '  && e.ROTATOR_ENCRYPTION_KEY === undefined && e.DATABASE_URL === undefined && e.ROTATOR_ADMIN_TOKEN === undefined',
      '  && e.TEMPORAL_ADDRESS !== undefined;',
      "console.log(ok ? 'child: ok' : 'child: wrong environment');",
      'process.exit(ok ? 0 : 9);',
    ].join('\n');
    const before = await stack.ctx.db.pool.query("SELECT COALESCE(MAX(id), 0) AS id FROM audit_events");
    const r = await runCli(['run', ...scope(), '--', 'node', '-e', check], { env: { ROTATOR_ADMIN_TOKEN: ADMIN } });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('child: ok\n');
    expect(r.code).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(password);

    // Also without `--`: options after the command are the command's.
    const noDashes = await runCli(['run', ...scope(), 'node', '-e', 'process.exit(process.env.POSTGRES_DB_USERNAME ? 0 : 9)']);
    expect(noDashes.code, noDashes.stderr).toBe(0);

    const audit = await stack.ctx.db.pool.query(
      "SELECT actor, details FROM audit_events WHERE id > $1 AND action = 'secrets.read' AND project_id = $2 ORDER BY id",
      [before.rows[0].id, target.projectId],
    );
    expect(audit.rows).toHaveLength(2);
    expect(audit.rows[0].actor).toMatch(/^cli/);
    expect(audit.rows[0].details).toMatchObject({ environment: 'dev', secretPath: '/', keys: ['POSTGRES_DB_PASSWORD', 'POSTGRES_DB_USERNAME'] });
    expect(JSON.stringify(audit.rows)).not.toContain(password);
  });

  it('exits with the child\'s code; a command that does not exist → exit 2; a key that is no variable name → exit 2, nothing runs', async () => {
    const marker = path.join(dataDir, `ran-${suffix()}`);
    const [seven, missing, bad, noEnv, noCommand] = await Promise.all([
      runCli(['run', ...scope(), '--', 'node', '-e', 'process.exit(7)']),
      runCli(['run', ...scope(), '--', `no-such-command-${suffix()}`]),
      runCli(['run', '--project', badKeys.projectId, '--env', 'dev', '--', 'node', '-e', `require('fs').writeFileSync(${JSON.stringify(marker)}, '')`]),
      runCli(['run', '--project', target.projectId, '--env', 'nope', '--', 'node', '-e', '0']),
      runCli(['run', ...scope()]),
    ]);
    expect(seven.code).toBe(7);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^error: cannot run "no-such-command-\w+": not found/);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(
      'error: secret keys must be valid environment variable names (letters, digits and "_", not starting with a digit): "db-user" is not; nothing was run\n',
    );
    expect(existsSync(marker)).toBe(false);
    expect(noEnv.code).toBe(3);
    expect(noEnv.stderr).toMatch(/environment must name an environment/);
    expect(noCommand.code).toBe(2);
    expect(noCommand.stderr).toMatch(/missing required argument 'command'/);
    for (const r of [seven, missing, bad, noEnv]) expect(r.stdout + r.stderr).not.toContain(password);
  });

  it('SIGTERM sent to the CLI reaches the child; the CLI exits with the child\'s code', async () => {
    const script = "process.on('SIGTERM', () => { console.log('child got SIGTERM'); process.exit(42); }); console.log('ready'); setInterval(() => {}, 1000);";
    const child = spawn(path.join(projectRoot, 'bin', 'pg-rotator'), ['run', ...scope(), '--', 'node', '-e', script], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.tmpdir(), ...stackEnv(), ROTATOR_DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d) => {
        stdout += d;
        if (stdout.includes('ready')) resolve();
      });
      child.on('close', () => reject(new Error(`ended before the child was ready: ${stderr}`)));
    });
    child.kill('SIGTERM');
    expect(await closed).toBe(42);
    expect(stdout).toBe('ready\nchild got SIGTERM\n');
    expect(stderr).toBe('');
  });
});
