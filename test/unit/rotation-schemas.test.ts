import { describe, expect, it } from 'vitest';
import {
  createRotationSchema,
  deleteRotationOptionsSchema,
  formatZodError,
  passwordRequirementsSchema,
  rotationParametersSchema,
  secretPathSchema,
  secretsMappingSchema,
  slugSchema,
  rotateOptionsSchema,
  updateRotationSchema,
  utf8ByteLength,
} from '../../src/domain/rotation-schemas.js';
import { applyConfigPatch } from '../../src/domain/rotation-config.js';
import { configChangeProblem } from '../../src/domain/rotation-rules.js';
import { sampleConfig } from '../support/fake-activities.js';
import type { z } from 'zod';
import { SEED_SAMPLE_REQUEST } from '../support/seed-sample.js';

/** Infisical's sample request, as written. */
const SAMPLE = SEED_SAMPLE_REQUEST;

/** Parses and returns either the data or the formatted error message. */
function check<S extends z.ZodType>(schema: S, input: unknown) {
  const r = schema.safeParse(input);
  return r.success ? { ok: true as const, data: r.data } : { ok: false as const, error: formatZodError(r.error) };
}

describe('createRotationSchema', () => {
  it('accepts Infisical sample request as written', () => {
    const r = check(createRotationSchema, SAMPLE);
    expect(r.ok && r.data).toEqual({
      ...SAMPLE,
      parameters: { ...SAMPLE.parameters, rotationStatementPassword: 'verifier' },
      minimumOverlapSeconds: 0,
      rotationWindowMinutes: 0,
    });
  });

  it('fills defaults: secretPath "/", auto-rotation on, 00:00 UTC', () => {
    const { secretPath: _s, isAutoRotationEnabled: _a, rotateAtUtc: _r, description: _d, ...minimal } = SAMPLE;
    const r = check(createRotationSchema, minimal);
    expect(r.ok && r.data).toMatchObject({ secretPath: '/', isAutoRotationEnabled: true, rotateAtUtc: { hours: 0, minutes: 0 } });
  });

  it.each([
    ['name', { name: 'My Rotation' }, 'name must contain only lowercase letters, digits and hyphens'],
    ['name too long', { name: 'a'.repeat(65) }, 'name must be at most 64 characters'],
    ['name empty', { name: '' }, 'name must not be empty'],
    ['name hyphen', { name: '-rot' }, 'not start or end with a hyphen'],
    ['missing name', { name: undefined }, 'name is required'],
    ['projectId', { projectId: 'nope' }, 'projectId must be a UUID'],
    ['connectionId', { connectionId: 42 }, 'connectionId must be a UUID'],
    ['description', { description: 'x'.repeat(257) }, 'description must be at most 256 characters'],
    ['environment', { environment: 'Dev' }, 'environment must contain only lowercase'],
    ['environment long', { environment: 'e'.repeat(65) }, 'environment must be at most 64 characters'],
    ['secretPath', { secretPath: '/a/../b' }, 'secretPath must not contain ".." segments'],
    ['secretPath control', { secretPath: '/a\nb' }, 'secretPath must not contain control characters'],
    ['isAutoRotationEnabled', { isAutoRotationEnabled: 'yes' }, 'isAutoRotationEnabled must be true or false'],
    ['rotationInterval 0', { rotationInterval: 0 }, 'rotationInterval must be an integer number of days from 1 to 3650'],
    ['rotationInterval fraction', { rotationInterval: 1.5 }, 'rotationInterval must be an integer number of days'],
    ['rotationInterval huge', { rotationInterval: 3651 }, 'rotationInterval must be at most 3650 days'],
    ['rotationInterval string', { rotationInterval: '30' }, 'rotationInterval must be an integer number of days'],
    ['rotateAtUtc.hours', { rotateAtUtc: { hours: 24, minutes: 0 } }, 'rotateAtUtc.hours must be an integer from 0 to 23'],
    ['rotateAtUtc.minutes', { rotateAtUtc: { hours: 1, minutes: 60 } }, 'rotateAtUtc.minutes must be an integer from 0 to 59'],
    ['rotateAtUtc missing minutes', { rotateAtUtc: { hours: 1 } }, 'rotateAtUtc.minutes is required'],
    ['parameters missing', { parameters: undefined }, 'parameters is required'],
    ['same usernames', { parameters: { username1: 'a', username2: 'a' } }, 'parameters.username2 must differ from parameters.username1'],
    ['username too long', { parameters: { username1: 'é'.repeat(32), username2: 'b' } }, 'parameters.username1 must be 1 to 63 bytes in UTF-8 (got 64)'],
    ['username empty', { parameters: { username1: '', username2: 'b' } }, 'parameters.username1 must be 1 to 63 bytes'],
    ['bad template', { parameters: { username1: 'a', username2: 'b', rotationStatement: 'ALTER ROLE {{username}}' } }, 'parameters.rotationStatement must contain the placeholder {{password}}'],
    ['plaintext without template', { parameters: { username1: 'a', username2: 'b', rotationStatementPassword: 'plaintext' } }, 'parameters.rotationStatementPassword may be "plaintext" only together with'],
    ['same secret names', { secretsMapping: { username: 'X', password: 'X' } }, 'secretsMapping.password must differ from secretsMapping.username'],
    ['secret name with colon', { secretsMapping: { username: 'A:B', password: 'P' } }, 'secretsMapping.username must not contain ":" or "/"'],
    ['unknown field', { extra: 1 }, 'extra is not a known field'],
    ['unknown nested field', { parameters: { username1: 'a', username2: 'b', username3: 'c' } }, 'parameters.username3 is not a known field'],
  ])('%s', (_name, patch, message) => {
    const r = check(createRotationSchema, { ...SAMPLE, ...patch });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toContain(message);
  });

  it('reports every field with its rule in details', () => {
    const r = check(createRotationSchema, { ...SAMPLE, name: 'Bad Name', rotationInterval: 0 });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.details.map((d) => d.field)).toEqual(['name', 'rotationInterval']);
      expect(r.error.details[0]).toEqual({
        field: 'name',
        rule: 'must contain only lowercase letters, digits and hyphens, and not start or end with a hyphen',
        message: 'name must contain only lowercase letters, digits and hyphens, and not start or end with a hyphen',
      });
    }
  });

  it('names the body when it is not an object', () => {
    const r = check(createRotationSchema, 'hello');
    expect(!r.ok && r.error.message).toBe('body must be a JSON object');
  });
});

describe('slugSchema', () => {
  it.each([
    ['a', true], ['my-pg-rotation', true], ['a1-b2', true], ['a'.repeat(64), true],
    ['', false], ['A', false], ['a_b', false], ['a b', false], ['-a', false], ['a-', false], ['a'.repeat(65), false], ['ü', false],
  ])('%j → %s', (v, ok) => {
    expect(slugSchema.safeParse(v).success).toBe(ok);
  });
});

describe('secretPathSchema', () => {
  it.each([
    ['/', '/'], ['', '/'], ['//', '/'], ['/app', '/app'], ['app', '/app'], ['/app/', '/app'],
    ['//a//b///', '/a/b'], ['/a.b/c_d/e-f', '/a.b/c_d/e-f'], ['/..x/y..', '/..x/y..'],
  ])('%j → %j', (raw, normalised) => {
    expect(secretPathSchema.parse(raw)).toBe(normalised);
  });

  it.each([['/a/..'], ['../a'], ['/./a'], ['/a b'], ['/a\u0000'], ['/a\\b'], ['/a:b'], ['/é'], ['/' + 'a'.repeat(1024)]])(
    'rejects %j',
    (raw) => {
      expect(secretPathSchema.safeParse(raw).success).toBe(false);
    },
  );
});

describe('passwordRequirementsSchema', () => {
  it.each([
    [{}, { length: 48, required: { digits: 1, lowercase: 1, uppercase: 1, symbols: 0 }, allowedSymbols: '-_.~!*' }],
    [{ length: 12 }, { length: 12, required: { digits: 1, lowercase: 1, uppercase: 1, symbols: 0 }, allowedSymbols: '-_.~!*' }],
    [{ required: { symbols: 2 } }, { length: 48, required: { digits: 1, lowercase: 1, uppercase: 1, symbols: 2 }, allowedSymbols: '-_.~!*' }],
    [{ length: 1, required: { digits: 0, lowercase: 1, uppercase: 0 } }, { length: 1, required: { digits: 0, lowercase: 1, uppercase: 0, symbols: 0 }, allowedSymbols: '-_.~!*' }],
    [{ length: 250, allowedSymbols: '' }, { length: 250, required: { digits: 1, lowercase: 1, uppercase: 1, symbols: 0 }, allowedSymbols: '' }],
  ])('%j → %j', (input, output) => {
    expect(passwordRequirementsSchema.parse(input)).toEqual(output);
  });

  it.each([
    [{ length: 0 }, 'length must be an integer from 1 to 250'],
    [{ length: 251 }, 'length must be an integer from 1 to 250'],
    [{ length: 2 }, 'required must add up to at most length (2); the required counts add up to 3'],
    [{ required: { digits: 0, lowercase: 0, uppercase: 0, symbols: 0 } }, 'required must require at least one character'],
    [{ required: { digits: -1 } }, 'required.digits must be a non-negative integer count of digits'],
    [{ required: { symbols: 1.5 } }, 'required.symbols must be a non-negative integer count of symbols'],
    [{ required: { symbols: 1 }, allowedSymbols: '' }, 'allowedSymbols must not be empty when required.symbols is greater than 0'],
    [{ allowedSymbols: '-a' }, 'allowedSymbols may contain only printable ASCII symbols'],
    [{ allowedSymbols: '- ' }, 'allowedSymbols may contain only printable ASCII symbols'],
    [{ allowedSymbols: '-€' }, 'allowedSymbols may contain only printable ASCII symbols'],
    [{ allowedSymbols: '-\t' }, 'allowedSymbols may contain only printable ASCII symbols'],
    [{ allowedSymbols: '-!-' }, 'allowedSymbols must not repeat a symbol; "-" appears twice'],
    [{ extra: true }, 'extra is not a known field'],
  ])('%j is rejected: %s', (input, message) => {
    const r = check(passwordRequirementsSchema, input);
    expect(!r.ok && r.error.message).toContain(message);
  });
});

describe('rotationParametersSchema', () => {
  it.each([
    [{ username1: 'a', username2: 'b' }],
    [{ username1: 'a"b', username2: "c'd; --" }],
    [{ username1: 'A', username2: 'a' }], // case matters for quoted identifiers
    [{ username1: '€'.repeat(21), username2: '🔑'.repeat(15) + 'abc' }],
    [{ username1: 'a', username2: 'b', rotationStatement: 'ALTER USER {{username}} PASSWORD {{password}}', rotationStatementPassword: 'plaintext' }],
    [{ username1: 'a', username2: 'b', passwordRequirements: { length: 20 } }],
  ])('accepts %j', (input) => {
    expect(rotationParametersSchema.safeParse(input).success).toBe(true);
  });

  it.each([
    [{ username1: 'a\nb', username2: 'b' }, 'username1 must not contain control characters'],
    [{ username1: 'a\ud800', username2: 'b' }, 'username1 must be valid Unicode'],
    [{ username1: '€'.repeat(21) + 'a', username2: 'b' }, 'username1 must be 1 to 63 bytes in UTF-8 (got 64)'],
    [{ username1: 'a', username2: 'b', rotationStatementPassword: 'md5' }, 'rotationStatementPassword must be "verifier" or "plaintext"'],
    [{ username1: 'a', username2: 'b', rotationStatement: `ALTER ROLE "{{username}}" PASSWORD {{password}}` }, 'already-quoted'],
    [{ username1: 'a', username2: 'b', passwordRequirements: { length: 0 } }, 'passwordRequirements.length must be an integer from 1 to 250'],
    [{ username1: 'a' }, 'username2 is required'],
  ])('%j is rejected: %s', (input, message) => {
    const r = check(rotationParametersSchema, input);
    expect(!r.ok && r.error.message).toContain(message);
  });
});

describe('secretsMappingSchema', () => {
  it.each([
    [{ username: 'U', password: 'P' }, null],
    [{ username: 'DB_USER', password: 'db.password-1' }, null],
    [{ username: 'a'.repeat(255), password: 'P' }, null],
    [{ username: 'a'.repeat(256), password: 'P' }, 'username must be at most 255 characters'],
    [{ username: '', password: 'P' }, 'username must not be empty'],
    [{ username: 'a/b', password: 'P' }, 'username must not contain ":" or "/"'],
    [{ username: 'U', password: 'a b' }, 'password must not contain whitespace or control characters'],
    [{ username: 'U', password: 'a\u0007' }, 'password must not contain whitespace or control characters'],
    [{ username: 'U', password: 'U' }, 'password must differ from secretsMapping.username'],
    [{ username: 'U' }, 'password is required'],
  ])('%j → %s', (input, message) => {
    const r = check(secretsMappingSchema, input);
    if (message === null) expect(r.ok).toBe(true);
    else expect(!r.ok && r.error.message).toContain(message);
  });
});

describe('updateRotationSchema', () => {
  it.each([
    [{ isAutoRotationEnabled: false }, { isAutoRotationEnabled: false }],
    [{ description: null }, { description: null }],
    [{ rotateAtUtc: { hours: 3, minutes: 15 } }, { rotateAtUtc: { hours: 3, minutes: 15 } }],
    [{ rotationInterval: 7, name: 'renamed' }, { rotationInterval: 7, name: 'renamed' }],
    [{ parameters: { username1: 'a', username2: 'b' } }, { parameters: { username1: 'a', username2: 'b', rotationStatementPassword: 'verifier' } }],
  ])('%j → %j (no defaults filled in)', (input, output) => {
    expect(updateRotationSchema.parse(input)).toEqual(output);
  });

  it.each([
    [{}, 'body must contain at least one field to change'],
    [{ description: undefined }, 'body must contain at least one field to change'],
    [{ projectId: '3c90c3cc-0d44-4b50-8888-8dd25736052a' }, 'projectId is not a known field'],
    [{ secretPath: '/x' }, 'secretPath is not a known field'],
    [{ rotationInterval: 0 }, 'rotationInterval must be an integer number of days'],
    [{ rotateAtUtc: { hours: 1 } }, 'rotateAtUtc.minutes is required'],
    [{ secretsMapping: { username: 'A', password: 'A' } }, 'secretsMapping.password must differ from secretsMapping.username'],
  ])('%j is rejected: %s', (input, message) => {
    const r = check(updateRotationSchema, input);
    expect(!r.ok && r.error.message).toContain(message);
  });
});

describe('minimumOverlapSeconds', () => {
  it('defaults to 0 on create; an integer from 0 to 30 days, at most the interval', () => {
    expect(createRotationSchema.parse({ ...SAMPLE, minimumOverlapSeconds: 3600 }).minimumOverlapSeconds).toBe(3600);
    expect(createRotationSchema.parse({ ...SAMPLE, minimumOverlapSeconds: 30 * 86_400 }).minimumOverlapSeconds).toBe(2_592_000);
    expect(createRotationSchema.parse({ ...SAMPLE, rotationInterval: 1, minimumOverlapSeconds: 86_400 }).minimumOverlapSeconds).toBe(86_400);
  });

  it.each([
    [{ minimumOverlapSeconds: -1 }, 'minimumOverlapSeconds must be an integer number of seconds from 0 to 2592000 (30 days)'],
    [{ minimumOverlapSeconds: 1.5 }, 'minimumOverlapSeconds must be an integer number of seconds'],
    [{ minimumOverlapSeconds: '60' }, 'minimumOverlapSeconds must be an integer number of seconds'],
    [{ minimumOverlapSeconds: 2_592_001, rotationInterval: 3650 }, 'minimumOverlapSeconds must be at most 2592000 seconds (30 days)'],
    [{ minimumOverlapSeconds: 86_401, rotationInterval: 1 }, 'minimumOverlapSeconds must be at most rotationInterval (1 day = 86400 seconds), got 86401'],
    [{ minimumOverlapSeconds: 7 * 86_400 + 1, rotationInterval: 7 }, 'minimumOverlapSeconds must be at most rotationInterval (7 days = 604800 seconds)'],
  ])('create %j is rejected: %s', (fields, message) => {
    const r = check(createRotationSchema, { ...SAMPLE, ...fields });
    expect(!r.ok && r.error.message).toContain(message);
    expect(!r.ok && r.error.details.map((d) => d.field)).toEqual(['minimumOverlapSeconds']);
  });

  it('update: alone, or checked against the interval when both are in the patch', () => {
    expect(updateRotationSchema.parse({ minimumOverlapSeconds: 600 })).toEqual({ minimumOverlapSeconds: 600 });
    const r = check(updateRotationSchema, { rotationInterval: 1, minimumOverlapSeconds: 90_000 });
    expect(!r.ok && r.error.message).toContain('minimumOverlapSeconds must be at most rotationInterval (1 day = 86400 seconds)');
  });

  it('a patch of one of the two is checked against the stored other, naming the field it changes', () => {
    const config = sampleConfig({ rotationInterval: 2, minimumOverlapSeconds: 2 * 86_400 });
    expect(configChangeProblem(config, { minimumOverlapSeconds: 100 })).toBeNull();
    expect(configChangeProblem(config, { minimumOverlapSeconds: 3 * 86_400 })).toMatchObject({ field: 'minimumOverlapSeconds' });
    expect(configChangeProblem(config, { rotationInterval: 1 })).toMatchObject({ field: 'rotationInterval', rule: expect.stringContaining('must be at least minimumOverlapSeconds (172800 seconds)') });
    expect(configChangeProblem(sampleConfig({ rotationInterval: 1 }), { rotationInterval: 1 })).toBeNull();
    expect(() => applyConfigPatch(config, { rotationInterval: 1 }, new Date().toISOString())).toThrow(/rotationInterval must be at least minimumOverlapSeconds/);
    // The same decision refuses a changed role (the current credentials belong to the old one).
    expect(configChangeProblem(config, { parameters: { ...config.parameters, username2: 'other_role' } })).toMatchObject({ field: 'parameters.username2', rule: expect.stringContaining('cannot be changed') });
    expect(applyConfigPatch(config, { minimumOverlapSeconds: 0, rotationInterval: 1 }, new Date().toISOString())).toMatchObject({ minimumOverlapSeconds: 0, rotationInterval: 1 });
  });

  it('rotate options: { force } only', () => {
    expect(rotateOptionsSchema.parse({})).toEqual({});
    expect(rotateOptionsSchema.parse({ force: true })).toEqual({ force: true });
    expect(check(rotateOptionsSchema, { force: 'yes' })).toMatchObject({ ok: false, error: { message: 'force must be true or false' } });
    expect(check(rotateOptionsSchema, { forced: true })).toMatchObject({ ok: false, error: { message: 'forced is not a known field' } });
  });
});

describe('rotationWindowMinutes', () => {
  it('defaults to 0 on create (exactly at rotateAtUtc, as in Infisical); an integer from 0 to 1440 minutes', () => {
    expect(createRotationSchema.parse(SAMPLE).rotationWindowMinutes).toBe(0);
    for (const minutes of [0, 1, 60, 1440]) {
      expect(createRotationSchema.parse({ ...SAMPLE, rotationWindowMinutes: minutes }).rotationWindowMinutes).toBe(minutes);
    }
    // The longest window with the shortest interval: the window never reaches the next due instant.
    expect(createRotationSchema.parse({ ...SAMPLE, rotationInterval: 1, rotationWindowMinutes: 1440 })).toMatchObject({ rotationInterval: 1, rotationWindowMinutes: 1440 });
  });

  it.each([
    [-1, 'rotationWindowMinutes must be an integer number of minutes from 0 to 1440 (24 hours)'],
    [1.5, 'rotationWindowMinutes must be an integer number of minutes from 0 to 1440 (24 hours)'],
    ['60', 'rotationWindowMinutes must be an integer number of minutes from 0 to 1440 (24 hours)'],
    [null, 'rotationWindowMinutes must be an integer number of minutes from 0 to 1440 (24 hours)'],
    [1441, 'rotationWindowMinutes must be at most 1440 minutes (24 hours)'],
  ])('%j is rejected on create and PATCH: %s', (value, message) => {
    for (const [schema, body] of [
      [createRotationSchema, { ...SAMPLE, rotationWindowMinutes: value }],
      [updateRotationSchema, { rotationWindowMinutes: value }],
    ] as const) {
      const r = check(schema, body);
      expect(!r.ok && r.error.details).toEqual([{ field: 'rotationWindowMinutes', rule: message.slice('rotationWindowMinutes '.length), message }]);
    }
  });

  it('PATCH: alone is a change; applied onto the stored config, the rest kept', () => {
    expect(updateRotationSchema.parse({ rotationWindowMinutes: 30 })).toEqual({ rotationWindowMinutes: 30 });
    const config = sampleConfig({ rotationInterval: 1 });
    expect(configChangeProblem(config, { rotationWindowMinutes: 1440 })).toBeNull();
    const after = applyConfigPatch(config, { rotationWindowMinutes: 90 }, new Date().toISOString());
    expect(after).toMatchObject({ rotationWindowMinutes: 90, rotationInterval: 1, rotateAtUtc: config.rotateAtUtc });
    expect(applyConfigPatch(after, { rotationInterval: 7 }, new Date().toISOString()).rotationWindowMinutes).toBe(90);
  });
});

describe('deleteRotationOptionsSchema', () => {
  it.each([
    [{}, { deleteSecrets: false, revokeGeneratedCredentials: false }],
    [{ deleteSecrets: true }, { deleteSecrets: true, revokeGeneratedCredentials: false }],
    [{ deleteSecrets: 'true', revokeGeneratedCredentials: 'false' }, { deleteSecrets: true, revokeGeneratedCredentials: false }],
    [{ revokeGeneratedCredentials: 'true' }, { deleteSecrets: false, revokeGeneratedCredentials: true }],
  ])('%j → %j', (input, output) => {
    expect(deleteRotationOptionsSchema.parse(input)).toEqual(output);
  });

  it.each([
    [{ deleteSecrets: 'yes' }, 'deleteSecrets must be true or false'],
    [{ deleteSecrets: 1 }, 'deleteSecrets must be true or false'],
    [{ deleteSecret: 'true' }, 'deleteSecret is not a known field'],
  ])('%j is rejected: %s', (input, message) => {
    const r = check(deleteRotationOptionsSchema, input);
    expect(!r.ok && r.error.message).toContain(message);
  });
});

describe('utf8ByteLength', () => {
  it.each([['', 0], ['a', 1], ['é', 2], ['€', 3], ['🔑', 4], ['a€🔑', 8]])('%j → %i', (s, n) => {
    expect(utf8ByteLength(s)).toBe(n);
    expect(utf8ByteLength(s)).toBe(Buffer.byteLength(s, 'utf8'));
  });
});
