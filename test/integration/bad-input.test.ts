// docs/design.md §6 / I6: every validation rule rejects bad input with a message naming the field and the rule, and
// nothing changes: no rotation, secret, secret version, credential or folder, and no workflow left running.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRotationSchema, secretPathSchema } from '../../src/domain/rotation-schemas.js';
import { parseInput, ServiceError } from '../../src/service/errors.js';
import { createRotation, deleteRotation } from '../../src/service/rotations.js';
import { findFolder } from '../../src/store/rotations.js';
import { WORKFLOW_TYPE } from '../../src/workflows/rotation-messages.js';
import { runCli } from '../support/cli.js';
import { canLogin, openTestStack, type TestStack, type TestTarget } from '../support/stack.js';

type Body = Record<string, unknown>;

interface Snapshot {
  rotations: number;
  secrets: number;
  secretVersions: number;
  credentials: number;
  folders: number;
  connections: number;
}

let stack: TestStack;

async function counts(): Promise<Snapshot> {
  const { rows } = await stack.ctx.db.pool.query(`SELECT
      (SELECT count(*) FROM rotations)::int AS rotations,
      (SELECT count(*) FROM secrets)::int AS secrets,
      (SELECT count(*) FROM secret_versions)::int AS "secretVersions",
      (SELECT count(*) FROM credentials)::int AS credentials,
      (SELECT count(*) FROM folders)::int AS folders,
      (SELECT count(*) FROM connections)::int AS connections`);
  return rows[0] as Snapshot;
}

async function runningWorkflows(): Promise<number> {
  let n = 0;
  for await (const _ of stack.ctx.temporal.workflow.list({ query: `WorkflowType='${WORKFLOW_TYPE}' AND ExecutionStatus='Running'` })) n++;
  return n;
}

/** Runs `work` (which must fail) and proves that nothing changed; returns the error. */
async function rejectsWithoutChange(work: () => Promise<unknown>, opts: { foldersDelta?: number } = {}): Promise<ServiceError> {
  const before = await counts();
  const runningBefore = await runningWorkflows();
  let caught: unknown;
  try {
    await work();
  } catch (err) {
    caught = err;
  }
  expect(caught, 'the request must be rejected').toBeInstanceOf(ServiceError);
  expect(await counts()).toEqual({ ...before, folders: before.folders + (opts.foldersDelta ?? 0) });
  // Visibility is eventually consistent: a workflow that just failed may still be listed as running briefly.
  await expect.poll(runningWorkflows, { timeout: 10_000, interval: 250 }).toBe(runningBefore);
  return caught as ServiceError;
}

/** A create as the edges make it (API route, CLI --file): the body is parsed once, then the service takes it. */
const createFromBody = async (body: unknown) => createRotation(stack.ctx, parseInput(createRotationSchema, body), 'test');

/** The fields an error names: its details, or (for workflow failures) the `parameters.usernameN` in its message. */
const fieldsOf = (err: ServiceError) => err.details.map((d) => d.field);

describe('bad input (docs/design.md §6)', () => {
  let t: TestTarget; // has one valid rotation "existing" in dev:/ (for the uniqueness rules)
  let p: TestTarget; // untouched roles with temporary passwords (for the target checks)
  let existingId = '';
  let normalisedId = '';
  const extraRoles: string[] = [];
  let tmp = '';
  const started = Date.now();

  /** A body that passes every rule and every conflict check; each case breaks exactly one rule. */
  const valid = (overrides: Body = {}): Body =>
    t.rotationBody({ name: 'fresh-rotation', secretsMapping: { username: 'FRESH_USER', password: 'FRESH_PASSWORD' }, ...overrides });
  const params = (extra: Body): Body => ({ parameters: { username1: t.roles[0], username2: t.roles[1], ...extra } });
  const requirements = (req: Body): Body => params({ passwordRequirements: req });

  beforeAll(async () => {
    stack = await openTestStack();
    await stack.startWorker('bad-input');
    [t, p] = await Promise.all([stack.newTarget('bad'), stack.newTarget('badpre')]);
    const existing = await createRotation(stack.ctx, t.rotationInput({ name: 'existing' }), 'test');
    existingId = existing.id;
    tmp = await mkdtemp(path.join(os.tmpdir(), 'pg-rotator-bad-'));
  });

  afterAll(async () => {
    for (const id of [existingId, normalisedId]) {
      if (id) await deleteRotation(stack.ctx, id, { deleteSecrets: true, revokeGeneratedCredentials: true }, 'test').catch(() => {});
    }
    for (const role of extraRoles) await stack.admin.query(`DROP ROLE IF EXISTS ${pg.escapeIdentifier(role)}`).catch(() => {});
    await stack?.close();
    if (tmp) await rm(tmp, { recursive: true, force: true });
    console.log(`[bad-input.test] ${Date.now() - started} ms`);
  });

  it('the base body is valid, so every case below fails for its one rule only', async () => {
    expect(createRotationSchema.safeParse(valid()).success).toBe(true);
    // The counters below see real rows and workflows (not a query that always answers 0).
    await expect.poll(runningWorkflows, { timeout: 10_000, interval: 250 }).toBeGreaterThanOrEqual(1);
    expect(await counts()).toMatchObject({ rotations: expect.any(Number), secrets: expect.any(Number) });
    expect((await counts()).secretVersions).toBeGreaterThanOrEqual(2);
  });

  // [label, overrides, field named, rule (regex on the detail's rule)]
  const schemaCases: [string, () => Body, string, RegExp][] = [
    // name: slug 1–64
    ['name empty', () => ({ name: '' }), 'name', /must not be empty/],
    ['name uppercase', () => ({ name: 'My-Rotation' }), 'name', /lowercase letters, digits and hyphens/],
    ['name 65 chars', () => ({ name: 'a'.repeat(65) }), 'name', /at most 64 characters/],
    ['name underscore', () => ({ name: 'my_rotation' }), 'name', /lowercase letters, digits and hyphens/],
    ['name space', () => ({ name: 'my rotation' }), 'name', /lowercase letters, digits and hyphens/],
    ['name leading hyphen', () => ({ name: '-rotation' }), 'name', /not start or end with a hyphen/],
    ['name not a string', () => ({ name: 42 }), 'name', /must be a string/],
    ['name missing', () => ({ name: undefined }), 'name', /is required/],
    // description ≤ 256
    ['description 257 chars', () => ({ description: 'd'.repeat(257) }), 'description', /at most 256 characters/],
    // environment: slug ≤ 64
    ['environment uppercase', () => ({ environment: 'Dev' }), 'environment', /lowercase letters, digits and hyphens/],
    ['environment with a slash', () => ({ environment: 'dev/prod' }), 'environment', /lowercase letters, digits and hyphens/],
    ['environment 65 chars', () => ({ environment: 'e'.repeat(65) }), 'environment', /at most 64 characters/],
    ['environment empty', () => ({ environment: '' }), 'environment', /must not be empty/],
    // secretPath
    ['secretPath with ..', () => ({ secretPath: '/a/../b' }), 'secretPath', /must not contain "\.\." segments/],
    ['secretPath with .', () => ({ secretPath: '/a/./b' }), 'secretPath', /must not contain "\." segments/],
    ['secretPath with a space', () => ({ secretPath: '/my folder' }), 'secretPath', /may contain only letters, digits/],
    ['secretPath with a colon', () => ({ secretPath: '/a:b' }), 'secretPath', /may contain only letters, digits/],
    ['secretPath with a control character', () => ({ secretPath: '/a\u0007' }), 'secretPath', /control characters/],
    ['secretPath 1025 chars', () => ({ secretPath: '/' + 'a'.repeat(1024) }), 'secretPath', /at most 1024 characters/],
    ['secretPath not a string', () => ({ secretPath: ['a'] }), 'secretPath', /must be a string/],
    // rotationInterval: integer days ≥ 1
    ['rotationInterval 0', () => ({ rotationInterval: 0 }), 'rotationInterval', /integer number of days from 1/],
    ['rotationInterval -1', () => ({ rotationInterval: -1 }), 'rotationInterval', /integer number of days from 1/],
    ['rotationInterval 1.5', () => ({ rotationInterval: 1.5 }), 'rotationInterval', /integer number of days/],
    ['rotationInterval "30"', () => ({ rotationInterval: '30' }), 'rotationInterval', /must be an integer number of days/],
    ['rotationInterval null', () => ({ rotationInterval: null }), 'rotationInterval', /must be an integer number of days/],
    ['rotationInterval missing', () => ({ rotationInterval: undefined }), 'rotationInterval', /is required/],
    ['rotationInterval 3651', () => ({ rotationInterval: 3651 }), 'rotationInterval', /at most 3650 days/],
    // rotateAtUtc: hours 0–23, minutes 0–59
    ['rotateAtUtc 24:00', () => ({ rotateAtUtc: { hours: 24, minutes: 0 } }), 'rotateAtUtc.hours', /integer from 0 to 23/],
    ['rotateAtUtc 0:60', () => ({ rotateAtUtc: { hours: 0, minutes: 60 } }), 'rotateAtUtc.minutes', /integer from 0 to 59/],
    ['rotateAtUtc hours -1', () => ({ rotateAtUtc: { hours: -1, minutes: 0 } }), 'rotateAtUtc.hours', /integer from 0 to 23/],
    ['rotateAtUtc minutes -1', () => ({ rotateAtUtc: { hours: 0, minutes: -1 } }), 'rotateAtUtc.minutes', /integer from 0 to 59/],
    ['rotateAtUtc hours 1.5', () => ({ rotateAtUtc: { hours: 1.5, minutes: 0 } }), 'rotateAtUtc.hours', /integer from 0 to 23/],
    ['rotateAtUtc minutes 0.5', () => ({ rotateAtUtc: { hours: 0, minutes: 0.5 } }), 'rotateAtUtc.minutes', /integer from 0 to 59/],
    ['rotateAtUtc hours "1"', () => ({ rotateAtUtc: { hours: '1', minutes: 0 } }), 'rotateAtUtc.hours', /integer from 0 to 23/],
    ['rotateAtUtc "00:00"', () => ({ rotateAtUtc: '00:00' }), 'rotateAtUtc', /must be an object \{ hours, minutes \}/],
    ['rotateAtUtc minutes missing', () => ({ rotateAtUtc: { hours: 0 } }), 'rotateAtUtc.minutes', /is required/],
    ['rotateAtUtc extra seconds', () => ({ rotateAtUtc: { hours: 0, minutes: 0, seconds: 0 } }), 'rotateAtUtc.seconds', /is not a known field/],
    // usernames (the rules the schema can check; the target checks are below)
    ['username1 = username2', () => params({ username2: t.roles[0] }), 'parameters.username2', /must differ from parameters\.username1/],
    ['username1 empty', () => params({ username1: '' }), 'parameters.username1', /1 to 63 bytes/],
    ['username2 64 bytes', () => params({ username2: 'u'.repeat(64) }), 'parameters.username2', /1 to 63 bytes/],
    ['username2 with a newline', () => params({ username2: 'app\nuser' }), 'parameters.username2', /control characters/],
    ['username2 missing', () => ({ parameters: { username1: t.roles[0] } }), 'parameters.username2', /is required/],
    // secretsMapping
    ['secret names equal', () => ({ secretsMapping: { username: 'SAME', password: 'SAME' } }), 'secretsMapping.password', /must differ from secretsMapping\.username/],
    ['secret name with :', () => ({ secretsMapping: { username: 'DB:USER', password: 'P' } }), 'secretsMapping.username', /must not contain ":" or "\/"/],
    ['secret name with /', () => ({ secretsMapping: { username: 'U', password: 'DB/PASS' } }), 'secretsMapping.password', /must not contain ":" or "\/"/],
    ['secret name empty', () => ({ secretsMapping: { username: '', password: 'P' } }), 'secretsMapping.username', /must not be empty/],
    ['secret name with a space', () => ({ secretsMapping: { username: 'DB USER', password: 'P' } }), 'secretsMapping.username', /whitespace/],
    // passwordRequirements
    ['password length 0', () => requirements({ length: 0, required: { digits: 0, lowercase: 0, uppercase: 0, symbols: 0 } }), 'parameters.passwordRequirements.length', /integer from 1 to 250/],
    ['password length 251', () => requirements({ length: 251 }), 'parameters.passwordRequirements.length', /integer from 1 to 250/],
    ['password length 12.5', () => requirements({ length: 12.5 }), 'parameters.passwordRequirements.length', /integer from 1 to 250/],
    ['required sum > length', () => requirements({ length: 4, required: { digits: 2, lowercase: 2, uppercase: 1, symbols: 0 } }), 'parameters.passwordRequirements.required', /add up to at most length \(4\)/],
    ['required all zero', () => requirements({ required: { digits: 0, lowercase: 0, uppercase: 0, symbols: 0 } }), 'parameters.passwordRequirements.required', /at least one character/],
    ['required count negative', () => requirements({ required: { digits: -1, lowercase: 1, uppercase: 1, symbols: 0 } }), 'parameters.passwordRequirements.required.digits', /non-negative integer/],
    ['allowedSymbols with letters', () => requirements({ allowedSymbols: 'ab!' }), 'parameters.passwordRequirements.allowedSymbols', /printable ASCII symbols/],
    ['allowedSymbols with a space', () => requirements({ allowedSymbols: '! ' }), 'parameters.passwordRequirements.allowedSymbols', /printable ASCII symbols/],
    ['allowedSymbols non-ASCII', () => requirements({ allowedSymbols: '!€' }), 'parameters.passwordRequirements.allowedSymbols', /printable ASCII symbols/],
    ['allowedSymbols repeated', () => requirements({ allowedSymbols: '!!' }), 'parameters.passwordRequirements.allowedSymbols', /must not repeat a symbol/],
    ['allowedSymbols empty with symbols required', () => requirements({ allowedSymbols: '', required: { digits: 0, lowercase: 0, uppercase: 0, symbols: 1 } }), 'parameters.passwordRequirements.allowedSymbols', /must not be empty/],
    // rotationStatement
    ['statement unknown placeholder', () => params({ rotationStatement: 'ALTER ROLE {{username}} PASSWORD {{password}} VALID UNTIL {{expiry}}' }), 'parameters.rotationStatement', /unknown placeholder \{\{expiry\}\}/],
    ['statement without {{password}}', () => params({ rotationStatement: 'ALTER ROLE {{username}} LOGIN' }), 'parameters.rotationStatement', /must contain the placeholder \{\{password\}\}/],
    ['statement without {{username}}', () => params({ rotationStatement: 'ALTER ROLE app PASSWORD {{password}}' }), 'parameters.rotationStatement', /must contain the placeholder \{\{username\}\}/],
    ['statement quoted placeholder', () => params({ rotationStatement: "ALTER ROLE {{username}} PASSWORD '{{password}}'" }), 'parameters.rotationStatement', /inside single quotes/],
    ['statement double-quoted placeholder', () => params({ rotationStatement: 'ALTER ROLE "{{username}}" PASSWORD {{password}}' }), 'parameters.rotationStatement', /inside double quotes/],
    ['statement two statements', () => params({ rotationStatement: 'ALTER ROLE {{username}} PASSWORD {{password}}; DROP TABLE users' }), 'parameters.rotationStatement', /single statement/],
    ['statement empty', () => params({ rotationStatement: ' ' }), 'parameters.rotationStatement', /must not be empty/],
    ['plaintext without a statement', () => params({ rotationStatementPassword: 'plaintext' }), 'parameters.rotationStatementPassword', /only together with a custom/],
    // unknown fields, ids, types
    ['unknown top-level field', () => ({ rotationIntervall: 30 }), 'rotationIntervall', /is not a known field/],
    ['unknown parameters field', () => params({ username3: 'x' }), 'parameters.username3', /is not a known field/],
    ['unknown secretsMapping field', () => ({ secretsMapping: { username: 'U', password: 'P', token: 'T' } }), 'secretsMapping.token', /is not a known field/],
    ['projectId not a UUID', () => ({ projectId: 'my-project' }), 'projectId', /must be a UUID/],
    ['connectionId not a UUID', () => ({ connectionId: 'conn-1' }), 'connectionId', /must be a UUID/],
    ['isAutoRotationEnabled "yes"', () => ({ isAutoRotationEnabled: 'yes' }), 'isAutoRotationEnabled', /true or false/],
  ];

  it.each(schemaCases)('%s → validation error on %s', async (_label, overrides, field, rule) => {
    const err = await rejectsWithoutChange(() => createFromBody(valid(overrides())));
    expect(err.kind).toBe('validation');
    expect(fieldsOf(err)).toContain(field);
    const detail = err.details.find((d) => d.field === field);
    expect(detail?.rule).toMatch(rule);
    expect(err.message).toContain(`${field} `);
  });

  it('a body that is not an object → validation error on body', async () => {
    for (const body of [null, [], 'x']) {
      const err = await rejectsWithoutChange(() => createFromBody(body));
      expect(err.kind).toBe('validation');
      expect(fieldsOf(err)).toEqual(['body']);
    }
  });

  it('secretPath is normalised: "a/b/" is accepted and stored as /a/b', async () => {
    expect(['a/b/', '/a/b', '//a//b//', 'a/b'].map((s) => secretPathSchema.parse(s))).toEqual(['/a/b', '/a/b', '/a/b', '/a/b']);
    expect(secretPathSchema.parse('')).toBe('/');
    const norm = await stack.newTarget('badnorm');
    const view = await createRotation(stack.ctx, norm.rotationInput({ secretPath: 'a/b/' }), 'test');
    normalisedId = view.id;
    expect(view.folder.path).toBe('/a/b');
    expect(await findFolder(stack.ctx.db.pool, norm.projectId, 'dev', '/a/b')).toBe(view.folderId);
    expect(await findFolder(stack.ctx.db.pool, norm.projectId, 'dev', 'a/b/')).toBeNull();
  });

  describe('rules that need the control database', () => {
    it('name must be unique per (project, environment, secretPath) → conflict on name', async () => {
      const err = await rejectsWithoutChange(() => createFromBody(valid({ name: 'existing' })));
      expect(err.kind).toBe('conflict');
      expect(fieldsOf(err)).toEqual(['name']);
      expect(err.message).toMatch(/^name must be unique in dev:\/: "existing" exists/);
    });

    it.each([
      ['both names', { username: 'POSTGRES_DB_USERNAME', password: 'POSTGRES_DB_PASSWORD' }, /POSTGRES_DB_USERNAME, POSTGRES_DB_PASSWORD exist/],
      ['the password name', { username: 'OTHER_USER', password: 'POSTGRES_DB_PASSWORD' }, /: POSTGRES_DB_PASSWORD exist/],
    ])('secretsMapping already used by another rotation in the folder (%s) → conflict on secretsMapping', async (_label, secretsMapping, rule) => {
      const err = await rejectsWithoutChange(() => createFromBody(valid({ secretsMapping })));
      expect(err.kind).toBe('conflict');
      expect(fieldsOf(err)).toEqual(['secretsMapping']);
      expect(err.message).toMatch(rule);
    });

    it('a connection of another project → not-found on connectionId', async () => {
      const err = await rejectsWithoutChange(() => createFromBody(valid({ connectionId: p.connection.id })));
      expect(err.kind).toBe('not-found');
      expect(fieldsOf(err)).toEqual(['connectionId']);
      expect(err.message).toMatch(/^connectionId must name a connection of project/);
    });
  });

  describe('rules checked on the real target by the workflow preflight', () => {
    const q = pg.escapeIdentifier;
    let nologin = '';
    let superuser = '';
    const superPassword = `temp_${randomBytes(6).toString('hex')}`;

    beforeAll(async () => {
      const id = randomBytes(3).toString('hex');
      nologin = `nologin_${id}`;
      superuser = `super_${id}`;
      extraRoles.push(nologin, superuser);
      await stack.admin.query(`CREATE ROLE ${q(nologin)} NOLOGIN`);
      await stack.admin.query(`CREATE ROLE ${q(superuser)} LOGIN SUPERUSER PASSWORD ${pg.escapeLiteral(superPassword)}`);
      await stack.admin.query(`GRANT CONNECT ON DATABASE ${q(p.database)} TO ${q(superuser)}`);
    });

    // [label, parameters, field, rule, fix SQL]
    const cases: [string, () => Body, string, RegExp, () => string][] = [
      ['username2 does not exist', () => ({ username1: p.roles[0], username2: 'no_such_role' }), 'parameters.username2', /role "no_such_role" does not exist/, () => 'CREATE ROLE "no_such_role" LOGIN;'],
      ['username1 does not exist', () => ({ username1: 'no_such_role', username2: p.roles[1] }), 'parameters.username1', /role "no_such_role" does not exist/, () => 'CREATE ROLE "no_such_role" LOGIN;'],
      ['username2 cannot log in', () => ({ username1: p.roles[0], username2: nologin }), 'parameters.username2', /may not log in/, () => `ALTER ROLE "${nologin}" LOGIN;`],
      ['username2 is a superuser', () => ({ username1: p.roles[0], username2: superuser }), 'parameters.username2', /is a superuser/, () => `use a dedicated login role without SUPERUSER, CREATEROLE, REPLICATION or BYPASSRLS for parameters.username2`],
      ['username2 is the connection\'s own role', () => ({ username1: p.roles[0], username2: p.adminRole }), 'parameters.username2', /connection's own admin role/, () => `use a dedicated login role without SUPERUSER, CREATEROLE, REPLICATION or BYPASSRLS for parameters.username2`],
    ];

    it.each(cases)('%s → create fails with the fix, nothing issued, nothing left', async (_label, parameters, field, rule, fix) => {
      const folderBefore = await findFolder(stack.ctx.db.pool, p.projectId, 'dev', '/preflight');
      const body = p.rotationBody({ name: 'preflight', secretPath: '/preflight', parameters: parameters() });
      const err = await rejectsWithoutChange(() => createFromBody(body), { foldersDelta: folderBefore ? 0 : 1 });
      expect(err.kind).toBe('validation'); // bad input (docs/design.md §6), found on the target
      expect(err.details.map((d) => d.field)).toEqual([field]);
      expect(err.message.startsWith(`${field} `)).toBe(true);
      expect(err.message).toMatch(rule);
      expect(err.message).toContain(`To fix: ${fix()}`);
      // The fix as data: on the error (the API body's `fix`), the one the message ends with, not in the field's rule.
      expect(err.fix?.startsWith(fix()), err.fix).toBe(true);
      expect(err.message.endsWith(`. To fix: ${err.fix}`)).toBe(true);
      expect(err.details[0]!.rule).toMatch(rule);
      expect(err.details[0]!.rule).not.toContain('To fix');
      // Decision: a request that passed every other check may leave its folder behind, empty (a folder is only
      // a namespace: reading its secrets gives the same empty list as a folder that does not exist).
      const folder = await findFolder(stack.ctx.db.pool, p.projectId, 'dev', '/preflight');
      expect(folder).not.toBeNull();
      const { rows } = await stack.ctx.db.pool.query('SELECT count(*)::int AS n FROM secrets WHERE folder_id = $1', [folder]);
      expect(rows[0].n).toBe(0);
      // Nothing was changed on the target: the temporary passwords still log in.
      expect(await canLogin(p.database, p.roles[0], p.temporaryPassword)).toBe(true);
      expect(await canLogin(p.database, p.roles[1], p.temporaryPassword)).toBe(true);
      expect(await canLogin(p.database, superuser, superPassword)).toBe(true);
    });
  });

  describe('through the CLI: exit code and a stderr line naming the field', () => {
    const cli = (args: string[]) => runCli(args, { dataDir: tmp });

    const flagsFor = (over: Record<string, string> = {}) => {
      const f: Record<string, string> = {
        '--name': 'cli-bad', '--project': t.projectId, '--connection': t.connection.id, '--env': 'dev', '--interval': '30',
        '--username1': t.roles[0], '--username2': t.roles[1], '--username-secret': 'CLI_USER', '--password-secret': 'CLI_PASS', ...over,
      };
      return ['rotation', 'create', ...Object.entries(f).flat()];
    };

    it('bad flags, a bad --file body, a name conflict and a preflight failure', async () => {
      const file = path.join(tmp, 'same-usernames.json');
      await writeFile(file, JSON.stringify(valid(params({ username2: t.roles[0] }))));
      const before = await counts();
      const runningBefore = await runningWorkflows();
      const preflightFolderExisted = (await findFolder(stack.ctx.db.pool, p.projectId, 'dev', '/preflight')) !== null;
      const [minute, interval, sameUsers, conflict, missingRole] = await Promise.all([
        cli(flagsFor({ '--rotate-at': '0:60' })),
        cli(flagsFor({ '--interval': '1.5' })),
        cli(['rotation', 'create', '--file', file]),
        cli([...flagsFor({ '--name': 'existing' }), '--json']),
        cli([...flagsFor({ '--project': p.projectId, '--connection': p.connection.id, '--username1': p.roles[0], '--username2': 'no_such_role', '--path': '/preflight' }), '--json']),
      ]);

      expect(minute.code).toBe(2);
      expect(minute.stderr).toBe('error: rotateAtUtc.minutes must be an integer from 0 to 59 (set by --rotate-at)\n');
      expect(interval.code).toBe(2);
      expect(interval.stderr).toBe('error: rotationInterval must be an integer number of days from 1 to 3650 (set by --interval)\n');
      expect(sameUsers.code).toBe(2);
      expect(sameUsers.stderr).toBe('error: parameters.username2 must differ from parameters.username1\n');

      expect(conflict.code).toBe(4);
      expect(JSON.parse(conflict.stderr)).toMatchObject({ error: 'conflict', details: [{ field: 'name' }] });

      expect(missingRole.code).toBe(2);
      const failure = JSON.parse(missingRole.stderr);
      expect(failure).toMatchObject({ error: 'validation', details: [{ field: 'parameters.username2' }] });
      expect(failure.message).toMatch(/^parameters\.username2 role "no_such_role" does not exist.*To fix: CREATE ROLE "no_such_role" LOGIN;/);
      expect(failure.fix).toBe('CREATE ROLE "no_such_role" LOGIN;');

      for (const r of [minute, interval, sameUsers, conflict, missingRole]) expect(r.stdout).toBe('');
      // Only the preflight case's (empty) folder may have been added, and only if it did not exist yet.
      expect(await counts()).toEqual({ ...before, folders: before.folders + (preflightFolderExisted ? 0 : 1) });
      await expect.poll(runningWorkflows, { timeout: 10_000, interval: 250 }).toBe(runningBefore);
      expect(await canLogin(p.database, p.roles[0], p.temporaryPassword)).toBe(true);
    });
  });
});
