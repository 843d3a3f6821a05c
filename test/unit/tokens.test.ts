import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { formatZodError } from '../../src/domain/rotation-schemas.js';
import { createTokenSchema, TOKEN_ACTIONS, type TokenAction } from '../../src/domain/token-schemas.js';
import {
  ADMIN_TOKEN_MIN_LENGTH,
  AdminTokenConfigError,
  AuthError,
  adminPrincipal,
  adminTokenMatches,
  authenticate,
  authorize,
  checkAdminToken,
  generateToken,
  hashToken,
  parseBearer,
  type Principal,
} from '../../src/service/tokens.js';
import type { Queryable } from '../../src/store/db.js';
import { tokenBodyFromFlags } from '../../src/cli/commands/token.js';
import { CliError } from '../../src/cli/errors.js';
import { childEnvironment, isEnvName } from '../../src/cli/commands/run.js';

const P1 = '3c90c3cc-0d44-4b50-8888-8dd25736052a';
const P2 = '5a1d7d4e-4c1b-4f7a-9d7e-2f4b8f0e1a11';
const ADMIN = 'admin-token-0123456789-abcdefghijklmnop'; // 39 characters

/** A Queryable that records its queries and answers with `rows` (pure: no database). */
function fakeDb(rows: Record<string, unknown>[] = []) {
  const calls: { sql: string; params: unknown[] }[] = [];
  const db = {
    async query(sql: string, params: unknown[] = []) {
      calls.push({ sql, params });
      return /^\s*SELECT/i.test(sql) ? { rows, rowCount: rows.length } : { rows: [], rowCount: 1 };
    },
  };
  return { db: db as unknown as Queryable, calls };
}

describe('parseBearer', () => {
  const token = generateToken();
  it.each<[string, string | undefined, string | null]>([
    ['canonical', `Bearer ${token}`, token],
    ['lowercase scheme', `bearer ${token}`, token],
    ['uppercase scheme', `BEARER ${token}`, token],
    ['several spaces after the scheme', `Bearer   ${token}`, token],
    ['surrounding whitespace (HTTP OWS)', ` \tBearer ${token}\t `, token],
    ['any visible ASCII token', 'Bearer a.b~c+d/e=', 'a.b~c+d/e='],
    ['missing header', undefined, null],
    ['empty header', '', null],
    ['scheme only', 'Bearer', null],
    ['scheme and a space', 'Bearer ', null],
    ['no space', `Bearer${token}`, null],
    ['other scheme', `Basic ${token}`, null],
    ['token without scheme', token, null],
    ['two tokens', `Bearer ${token} ${token}`, null],
    ['tab between scheme and token', `Bearer\t${token}`, null],
    ['newline in the token', `Bearer abc\ndef`, null],
    ['non-ASCII token', 'Bearer tökén', null],
    ['comma-joined duplicate headers', `Bearer ${token}, Bearer ${token}`, null],
    ['absurdly long', `Bearer ${'a'.repeat(5000)}`, null],
  ])('%s', (_what, header, expected) => {
    expect(parseBearer(header)).toBe(expected);
  });
});

describe('generateToken and hashToken', () => {
  it('pgr_ + 32 random bytes in base64url; distinct every time; the hash is the SHA-256 of the token', () => {
    const a = generateToken();
    const b = generateToken();
    expect(a).toMatch(/^pgr_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(a.slice(4), 'base64url')).toHaveLength(32);
    expect(a).not.toBe(b);
    expect(hashToken(a).equals(createHash('sha256').update(a).digest())).toBe(true);
    expect(hashToken(a)).toHaveLength(32);
  });
});

describe('authorize', () => {
  const projectToken: Principal = { tokenId: 't1', name: 'ci', projectId: P1, actions: new Set<TokenAction>(['read', 'rotate']) };
  const allProjectsReader: Principal = { tokenId: 't2', name: 'auditor', projectId: null, actions: new Set<TokenAction>(['read']) };
  const admin = adminPrincipal();

  type Row = [string, Principal | null, TokenAction, string | null, 'ok' | 401 | 403];
  const rows: Row[] = [
    ['no principal', null, 'read', P1, 401],
    ['no principal, no project', null, 'read', null, 401],
    ['project token, own project, granted action', projectToken, 'read', P1, 'ok'],
    ['project token, own project, other granted action', projectToken, 'rotate', P1, 'ok'],
    ['project token, own project in upper case', projectToken, 'read', P1.toUpperCase(), 'ok'],
    ['project token, own project, action not granted', projectToken, 'delete', P1, 403],
    ['project token, own project, read-secrets not granted', projectToken, 'read-secrets', P1, 403],
    ['project token, other project, granted action', projectToken, 'read', P2, 403],
    ['project token, other project, action not granted', projectToken, 'edit', P2, 403],
    ['project token, no project in the request', projectToken, 'read', null, 403],
    ['all-projects reader, any project', allProjectsReader, 'read', P2, 'ok'],
    ['all-projects reader, no project in the request', allProjectsReader, 'read', null, 'ok'],
    ['all-projects reader, action not granted', allProjectsReader, 'create', P1, 403],
    ...TOKEN_ACTIONS.flatMap((action): Row[] => [
      [`admin, ${action}, a project`, admin, action, P1, 'ok'],
      [`admin, ${action}, no project`, admin, action, null, 'ok'],
    ]),
  ];
  it.each(rows)('%s', (_what, principal, action, projectId, expected) => {
    if (expected === 'ok') {
      expect(() => authorize(principal, action, projectId)).not.toThrow();
      return;
    }
    let caught: unknown;
    try {
      authorize(principal, action, projectId);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(AuthError);
    expect((caught as AuthError).status).toBe(expected);
  });

  it('messages name the token, the action and the scope', () => {
    expect(() => authorize(projectToken, 'delete', P1)).toThrow(/token "ci" may not delete \(it may: read, rotate\)/);
    expect(() => authorize(projectToken, 'read', P2)).toThrow(`token "ci" is scoped to project ${P1}, not ${P2}`);
    expect(() => authorize(projectToken, 'read', null)).toThrow(/needs an all-projects token/);
    expect(() => authorize(null, 'read', P1)).toThrow(/missing or invalid bearer token/);
  });

  it('the admin principal has every action and no project', () => {
    expect(admin).toMatchObject({ tokenId: null, projectId: null });
    expect([...admin.actions].sort()).toEqual([...TOKEN_ACTIONS].sort());
  });
});

describe('admin token', () => {
  it('adminTokenMatches compares digests: equal → true; different content or any length → false, never a throw', () => {
    expect(adminTokenMatches(ADMIN, ADMIN)).toBe(true);
    expect(adminTokenMatches(`${ADMIN.slice(0, -1)}X`, ADMIN)).toBe(false);
    for (const given of ['', 'a', ADMIN.slice(0, -1), `${ADMIN}x`, ADMIN.repeat(10)]) {
      expect(adminTokenMatches(given, ADMIN)).toBe(false);
    }
  });

  it(`checkAdminToken: unset or empty → none; < ${ADMIN_TOKEN_MIN_LENGTH} characters or unsendable → configuration error`, () => {
    expect(checkAdminToken(undefined)).toBeUndefined();
    expect(checkAdminToken('')).toBeUndefined();
    expect(checkAdminToken('x'.repeat(ADMIN_TOKEN_MIN_LENGTH))).toBe('x'.repeat(ADMIN_TOKEN_MIN_LENGTH));
    expect(() => checkAdminToken('x'.repeat(ADMIN_TOKEN_MIN_LENGTH - 1))).toThrow(AdminTokenConfigError);
    expect(() => checkAdminToken('x'.repeat(ADMIN_TOKEN_MIN_LENGTH - 1))).toThrow(/ROTATOR_ADMIN_TOKEN must be at least 32 characters \(it has 31\)/);
    expect(() => checkAdminToken(`${'x'.repeat(40)} y`)).toThrow(/visible ASCII without spaces/);
    expect(() => checkAdminToken(`${'x'.repeat(40)}é`)).toThrow(AdminTokenConfigError);
  });

  it('authenticate: the admin token → the admin principal, without a database query', async () => {
    const { db, calls } = fakeDb();
    const p = await authenticate(db, `Bearer ${ADMIN}`, ADMIN);
    expect(p).toMatchObject({ tokenId: null, projectId: null });
    expect(p?.actions.size).toBe(TOKEN_ACTIONS.length);
    expect(calls).toHaveLength(0);
  });

  it.each<[string, string | undefined]>([
    ['one character off', `Bearer ${ADMIN.slice(0, -1)}X`],
    ['a prefix of it', `Bearer ${ADMIN.slice(0, -1)}`],
    ['longer', `Bearer ${ADMIN}x`],
    ['missing header', undefined],
    ['wrong scheme', `Basic ${ADMIN}`],
  ])('authenticate: %s → null, no database query (not a token we issue)', async (_what, header) => {
    const { db, calls } = fakeDb();
    expect(await authenticate(db, header, ADMIN)).toBeNull();
    expect(calls).toHaveLength(0);
  });

  it('authenticate: a short ROTATOR_ADMIN_TOKEN is refused even when the header matches it, or is missing', async () => {
    const weak = 'x'.repeat(ADMIN_TOKEN_MIN_LENGTH - 1);
    const { db } = fakeDb();
    await expect(authenticate(db, `Bearer ${weak}`, weak)).rejects.toThrow(AdminTokenConfigError);
    await expect(authenticate(db, undefined, weak)).rejects.toThrow(/at least 32 characters/);
    await expect(authenticate(db, `Bearer ${generateToken()}`, 'short')).rejects.toThrow(AdminTokenConfigError);
  });

  it('authenticate: with no admin token configured, the admin value is just an unknown token', async () => {
    const { db } = fakeDb();
    expect(await authenticate(db, `Bearer ${ADMIN}`, undefined)).toBeNull();
    expect(await authenticate(db, `Bearer ${ADMIN}`, '')).toBeNull();
  });
});

describe('authenticate with stored tokens (fake database)', () => {
  const row = (over: Record<string, unknown> = {}) => ({
    id: '9d2b0a51-5b0e-4c55-b1a4-3f3c3a1e7c01',
    name: 'ci',
    project_id: P1,
    actions: ['read', 'rotate', 'some-future-action'],
    created_at: new Date(),
    last_used_at: null,
    revoked_at: null,
    ...over,
  });

  it('looks the token up by its SHA-256 (never the token), touches last_used_at, keeps only known actions', async () => {
    const token = generateToken();
    const { db, calls } = fakeDb([row()]);
    const p = await authenticate(db, `Bearer ${token}`, ADMIN);
    expect(p).toMatchObject({ tokenId: row().id, name: 'ci', projectId: P1 });
    expect([...p!.actions]).toEqual(['read', 'rotate']);
    expect(calls.map((c) => c.sql.trim().split(/\s+/)[0])).toEqual(['SELECT', 'UPDATE']);
    expect((calls[0]!.params[0] as Buffer).equals(hashToken(token))).toBe(true);
    expect(JSON.stringify(calls)).not.toContain(token);
  });

  it('does not write last_used_at when it was written less than a minute ago', async () => {
    const { db, calls } = fakeDb([row({ last_used_at: new Date(Date.now() - 5_000) })]);
    expect(await authenticate(db, `Bearer ${generateToken()}`, undefined)).not.toBeNull();
    expect(calls).toHaveLength(1);
  });

  it('a failing last_used_at write does not fail authentication', async () => {
    const db = {
      async query(sql: string) {
        if (/^\s*UPDATE/i.test(sql)) throw new Error('read-only transaction');
        return { rows: [row()], rowCount: 1 };
      },
    } as unknown as Queryable;
    expect(await authenticate(db, `Bearer ${generateToken()}`, undefined)).not.toBeNull();
  });

  it('unknown (or revoked: the query excludes them) → null', async () => {
    const { db, calls } = fakeDb([]);
    expect(await authenticate(db, `Bearer ${generateToken()}`, undefined)).toBeNull();
    expect(calls[0]!.sql).toMatch(/revoked_at IS NULL/);
  });
});

describe('createTokenSchema', () => {
  const valid = { name: 'ci deploys', projectId: P1, actions: ['read', 'rotate'] };
  const problems = (body: unknown) => {
    const r = createTokenSchema.safeParse(body);
    return r.success ? [] : formatZodError(r.error).details.map((d) => d.message);
  };

  it('accepts a valid body (name trimmed)', () => {
    expect(createTokenSchema.parse({ ...valid, name: '  ci  ' })).toEqual({ ...valid, name: 'ci' });
    expect(createTokenSchema.parse({ ...valid, actions: [...TOKEN_ACTIONS] }).actions).toHaveLength(7);
  });

  it.each<[string, unknown, string[]]>([
    ['missing everything', {}, ['name is required', 'projectId is required', 'actions is required']],
    ['not an object', 'x', ['body must be a JSON object { name, projectId, actions }']],
    ['empty name', { ...valid, name: ' ' }, ['name must not be empty']],
    ['65-character name', { ...valid, name: 'n'.repeat(65) }, ['name must be at most 64 characters']],
    ['control character in the name', { ...valid, name: 'a\u001bb' }, ['name must not contain control characters']],
    ['bad project id', { ...valid, projectId: 'p1' }, ['projectId must be a UUID']],
    ['no actions', { ...valid, actions: [] }, [expect.stringMatching(/^actions must name at least one action/) as unknown as string]],
    ['unknown action', { ...valid, actions: ['read', 'admin'] }, [expect.stringMatching(/^actions\[1\] must be one of read, create,/) as unknown as string]],
    ['repeated action', { ...valid, actions: ['read', 'rotate', 'read'] }, ['actions must not repeat an action: read']],
    ['actions not an array', { ...valid, actions: 'read' }, [expect.stringMatching(/^actions must be an array of actions/) as unknown as string]],
    ['unknown field', { ...valid, admin: true }, ['admin is not a known field']],
  ])('%s', (_what, body, expected) => {
    expect(problems(body)).toEqual(expected);
  });

  it('token create flags build that body (--actions split on commas)', () => {
    expect(tokenBodyFromFlags({ name: 'ci', project: P1, actions: 'read, rotate' })).toEqual({ name: 'ci', projectId: P1, actions: ['read', 'rotate'] });
    expect(tokenBodyFromFlags({})).toEqual({});
  });
});

describe('run: environment of the child', () => {
  const s = (secretKey: string, secretValue = 'v') => ({ secretKey, secretValue });

  it.each([
    ['POSTGRES_DB_PASSWORD', true],
    ['_x', true],
    ['a1', true],
    ['1a', false],
    ['db-user', false],
    ['db.user', false],
    ['', false],
    ['A B', false],
    ['É', false],
  ])('isEnvName(%j) → %s', (key, ok) => {
    expect(isEnvName(key)).toBe(ok);
  });

  it('adds the secrets (they win), keeps the rest, withholds the rotator\'s own secrets', () => {
    const env = childEnvironment(
      { PATH: '/bin', HOME: '/h', DATABASE_URL: 'postgres://rotator:pw@x/db', ROTATOR_ENCRYPTION_KEY: 'k', ROTATOR_ADMIN_TOKEN: 'a', DB_USER: 'old' },
      [s('DB_USER', 'app_1'), s('DB_PASSWORD', 'p4ss')],
    );
    expect(env).toEqual({ PATH: '/bin', HOME: '/h', DB_USER: 'app_1', DB_PASSWORD: 'p4ss' });
    expect(childEnvironment({ DATABASE_URL: 'control' }, [s('DATABASE_URL', 'app')])).toEqual({ DATABASE_URL: 'app' });
  });

  it('refuses keys that are not variable names, naming them, never the values', () => {
    let caught: unknown;
    try {
      childEnvironment({}, [s('GOOD'), s('db-user', 'secret-value-1'), s('2x', 'secret-value-2')]);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(CliError);
    expect((caught as CliError).kind).toBe('validation');
    expect((caught as CliError).message).toMatch(/^secret keys must be valid environment variable names .*: "db-user", "2x" are not; nothing was run$/);
    expect((caught as CliError).message).not.toMatch(/secret-value/);
  });
});
