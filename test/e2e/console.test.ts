// The web console in a real browser (Debian's Chromium driven by Playwright) against the real stack: the API
// serving the built console, a real worker, Temporal and a scram-sha-256 PostgreSQL target. Every page is checked
// with axe (serious or critical violations fail), every test leaves a screenshot in .data/screenshots/.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import pg from 'pg';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureDebianPackage } from '../../dev/stack/debian-packages.js';
import { ensureConsoleBuilt } from '../../scripts/build-web.js';
import { buildApi } from '../../src/api/server.js';
import { dataDir } from '../../src/data-dir.js';
import type { RotationView } from '../../src/domain/rotation-view-schemas.js';
import { createRotation, deleteRotation, getRotationView, rotateRotation } from '../../src/service/rotations.js';
import { createToken } from '../../src/service/tokens.js';
import { buildLoggedApi } from '../support/api.js';
import { openTestStack, type TestStack, type TestTarget } from '../support/stack.js';

const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
const TEMPORAL_UI = 'http://127.0.0.1:8233';
const SHOTS = path.join(dataDir(), 'screenshots');

let stack: TestStack;
let app: Awaited<ReturnType<typeof buildApi>>;
let browser: Browser;
let origin = '';
const adminToken = randomBytes(32).toString('base64url');
/** Project A: the wizard creates its rotation here. Project B: a rotation made in set-up, for the actions. */
let a: TestTarget;
let b: TestTarget;
let rotB: RotationView;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  const [executablePath] = await Promise.all([ensureDebianPackage('chromium', '/usr/bin/chromium'), ensureConsoleBuilt()]);
  stack = await openTestStack();
  await stack.startWorker('e2e-console-worker');
  [a, b] = [await stack.newTarget('web_a'), await stack.newTarget('web_b')];
  rotB = await createRotation(stack.ctx, b.rotationInput({ name: 'payments-db' }), 'test');
  app = await buildLoggedApi('e2e-console-api', { ctx: stack.ctx, adminToken, console: { temporalUi: { url: TEMPORAL_UI, namespace: 'default' } } });
  await app.listen({ port: 0, host: '127.0.0.1' });
  origin = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
});

afterAll(async () => {
  await browser?.close();
  // No request is in flight by now; keep-alive sockets of this process's fetch would hold close() for a minute.
  app?.server.closeAllConnections();
  await app?.close();
  await stack?.close();
});

interface Session {
  context: BrowserContext;
  page: Page;
  /** Content-Security-Policy violations and uncaught errors seen by the page. */
  problems: string[];
}
let open: Session[] = [];

afterEach(async ({ task }) => {
  // A failed test leaves what its pages showed, for the one who reads the failure.
  if (task.result?.state === 'fail') {
    for (const [i, s] of open.entries()) await shot(s.page, `failed-${task.name.slice(0, 40).replace(/\W+/g, '-')}-${i}`).catch(() => {});
  }
  for (const s of open) {
    expect(s.problems, 'CSP violations or page errors').toEqual([]);
    await s.context.close();
  }
  open = [];
});

/** A fresh tab at /, signed in with `token` if given; the browser's zone is Berlin, so local time ≠ UTC. */
async function newSession(token?: string, opts: { fakeClock?: boolean } = {}): Promise<Session> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, timezoneId: 'Europe/Berlin', locale: 'en-GB' });
  const page = await context.newPage();
  // Actions go through Temporal to a worker on a shared 2-core machine: give them time (this is no performance test).
  page.setDefaultTimeout(60_000);
  if (opts.fakeClock) await page.clock.install();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (/Content.Security.Policy|Refused to/i.test(m.text())) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  const s = { context, page, problems };
  open.push(s);
  await page.goto(`${origin}/`);
  if (token) await signIn(page, token);
  return s;
}

async function signIn(page: Page, token: string): Promise<void> {
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText('Signed in with token').waitFor();
}

/** axe-core on the page as it is now: no serious or critical violation. */
async function expectAccessible(page: Page, what: string): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(bad.map((v) => `${what}: ${v.id} (${v.impact}) ${v.help}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
}

const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

const api = async (method: string, url: string, token = adminToken) => {
  const res = await fetch(`${origin}${url}`, { method, headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: (await res.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
};
const ROT = '/api/v2/secret-rotations/postgres-credentials';

describe('the web console', () => {
  it('is served at / with a strict CSP, its files need no token, the API still does; a missing build is explained', async () => {
    const res = await fetch(`${origin}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toBe(CSP);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    const html = await res.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline script
    expect(html).not.toMatch(/<style|style=/); // no inline style
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)![1]!;
    const js = await fetch(`${origin}${script}`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(js.headers.get('cache-control')).toContain('immutable');
    expect((await fetch(`${origin}/assets/nope.js`)).status).toBe(404);
    const escape = await fetch(`${origin}/assets/..%2Fvite.config.ts`);
    expect([401, 404]).toContain(escape.status); // never the file outside the build
    expect(await escape.text()).not.toContain('defineConfig');
    expect((await fetch(`${origin}${ROT}?projectId=${a.projectId}`)).status).toBe(401);
    expect((await api('GET', '/api/v1/auth/token')).body).toEqual({ token: { name: 'admin (ROTATOR_ADMIN_TOKEN)', projectId: null, actions: expect.arrayContaining(['read', 'rotate']) } });

    // The console's read endpoints: versions without values, scoped like every other read.
    const versions = (await api('GET', `${ROT}/${rotB.id}/secret-versions`)).body.secretVersions as Record<string, unknown>[];
    expect(versions.map((v) => Object.keys(v).sort())).toEqual(versions.map(() => ['createdAt', 'secretKey', 'version']));
    expect(versions.map((v) => v.secretKey).sort()).toEqual(['POSTGRES_DB_PASSWORD', 'POSTGRES_DB_USERNAME']);
    const outsider = await createToken(stack.ctx, { name: 'outsider', projectId: a.projectId, actions: ['read'] }, 'test');
    expect((await api('GET', `${ROT}/${rotB.id}/secret-versions`, outsider.token)).status).toBe(403);
    expect((await api('GET', '/api/v1/auth/token', outsider.token)).body).toEqual({ token: { name: 'outsider', projectId: a.projectId, actions: ['read'] } });
    expect((await api('GET', '/api/v1/console/settings')).body.temporalUi).toMatchObject({ url: TEMPORAL_UI, namespace: 'default' });

    const unbuilt = await buildApi({ ctx: stack.ctx, adminToken, console: { dir: mkdtempSync(path.join(tmpdir(), 'no-console-')) } });
    try {
      const r = await unbuilt.inject({ method: 'GET', url: '/' });
      expect(r.statusCode).toBe(404);
      expect(r.body).toContain('web console is not built');
      expect(r.body).toContain('npm run build:web');
      const settings = await unbuilt.inject({ method: 'GET', url: '/api/v1/console/settings', headers: { authorization: `Bearer ${adminToken}` } });
      expect(settings.json()).toEqual({ temporalUi: null });
    } finally {
      await unbuilt.close();
    }
  });

  it('signs in with a token (a wrong one answered on the field), lists rotations, and signing out forgets the token', async () => {
    const { page } = await newSession(undefined, { fakeClock: true });
    await expectAccessible(page, 'sign-in');
    await page.getByLabel('API token').fill('pgr_' + 'x'.repeat(43));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.locator('#token-error').textContent()).toContain('not valid');
    expect(await page.locator('#token').getAttribute('aria-invalid')).toBe('true');

    await signIn(page, adminToken);
    expect(page.url()).not.toContain(adminToken);
    expect(await page.evaluate('Object.keys(sessionStorage)')).toEqual(['pg-rotator.token']);
    expect(await page.evaluate('localStorage.length')).toBe(0);
    await page.getByLabel('Project').selectOption(b.projectId);
    const row = page.locator('tr[data-rotation="payments-db"]');
    await row.waitFor();
    await expect.poll(() => row.textContent()).toContain(b.roles[0]);
    expect(await row.locator('.badge.success').count()).toBe(1);
    expect(await row.locator('.role.active').textContent()).toContain(b.roles[0]);
    expect(await row.locator('time').count()).toBe(2); // last rotated, next rotation
    // Exact times in UTC and in the viewer's zone; the relative ones move on without a reload.
    const lastRotated = row.locator('time').first();
    expect(await lastRotated.locator('.exact').textContent()).toMatch(/UTC · .*(CET|GMT\+1)/);
    const relativeBefore = await lastRotated.locator('.rel').textContent();
    await page.clock.fastForward('03:00:00');
    await expect.poll(() => lastRotated.locator('.rel').textContent()).toBe('3 hours ago');
    expect(relativeBefore).not.toBe('3 hours ago');
    await expectAccessible(page, 'dashboard');
    await shot(page, 'dashboard');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API token').waitFor();
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
    await page.reload();
    await page.getByLabel('API token').waitFor();
    expect(await page.getByText('Signed in with token').count()).toBe(0);
  });

  it('creates a rotation through the wizard: a bad field and a preflight failure answered on their fields, nothing created until both are fixed', async () => {
    const { page } = await newSession(adminToken);
    await page.goto(`${origin}/#/?project=${a.projectId}`);
    await page.getByRole('button', { name: 'Add secret rotation' }).click();
    await page.getByRole('heading', { name: 'Configuration' }).waitFor();
    expect(await page.getByLabel('Connection').inputValue()).toBe(a.connection.id);
    await page.getByLabel('Rotate at (UTC, 24-hour)').fill('03:30');
    await expect.poll(() => page.locator('#rotateAtUtc-hint').textContent()).toMatch(/^= 04:30 .*your local time$/); // Berlin, UTC+1 in winter
    await expectAccessible(page, 'wizard: configuration');
    await page.getByRole('button', { name: 'Next' }).click();

    const missing = `no_such_role_${randomBytes(3).toString('hex')}`;
    await page.getByLabel('Username 1 (parameters.username1)').fill(a.roles[0]);
    await page.getByLabel('Username 2 (parameters.username2)').fill(missing);
    await page.getByText('Advanced: rotation statement and password requirements').click();
    await expectAccessible(page, 'wizard: parameters');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByRole('heading', { name: 'Secrets mapping' }).waitFor();
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByLabel('Name').fill('Orders_DB');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByRole('heading', { name: 'Review' }).waitFor();
    await expectAccessible(page, 'wizard: review');
    await page.getByRole('button', { name: 'Create' }).click();

    // The name breaks the slug rule: the API's 400 names the field, the wizard goes back to its step.
    await page.getByRole('heading', { name: 'Details' }).waitFor();
    await expect.poll(() => page.locator('#name-error').textContent()).toContain('lowercase letters, digits and hyphens');
    expect(await page.getByLabel('Name').getAttribute('aria-invalid')).toBe('true');
    await shot(page, 'wizard-bad-field');
    await page.getByLabel('Name').fill('orders-db');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.getByRole('button', { name: 'Create' }).click();

    // Preflight refuses the missing role, on its field, with the SQL that fixes it.
    await page.getByRole('heading', { name: 'Parameters' }).waitFor();
    await expect.poll(() => page.locator('#username2-error').textContent()).toContain(`role "${missing}" does not exist`);
    expect(await page.locator('.fix code').textContent()).toBe(`CREATE ROLE "${missing}" LOGIN;`);
    await expectAccessible(page, 'wizard: preflight failure');
    await shot(page, 'wizard-preflight-fix');
    expect((await api('GET', `${ROT}?projectId=${a.projectId}`)).body.secretRotations).toEqual([]);

    await page.getByLabel('Username 2 (parameters.username2)').fill(a.roles[1]);
    await page.getByRole('button', { name: '5. Review' }).click();
    await page.getByRole('button', { name: 'Create' }).click();
    const row = page.locator('tr[data-rotation="orders-db"]');
    await row.waitFor({ timeout: 60_000 });
    expect(await row.locator('.badge.success').count()).toBe(1);
    expect(await row.locator('.role.active').textContent()).toContain(a.roles[0]);
    const [created] = (await api('GET', `${ROT}?projectId=${a.projectId}`)).body.secretRotations;
    expect(created).toMatchObject({ name: 'orders-db', rotateAtUtc: { hours: 3, minutes: 30 }, parameters: { username1: a.roles[0], username2: a.roles[1] }, activeIndex: 0 });
    await shot(page, 'wizard-created');
  });

  it('rotates now (the secret version rises, the active role switches), explains a minimum-overlap refusal and forces behind a confirmation, pauses and resumes, drift check, incident rotation', async () => {
    const { page } = await newSession(adminToken);
    await page.goto(`${origin}/#/rotations/${rotB.id}?project=${b.projectId}`);
    await page.getByRole('heading', { name: 'payments-db' }).waitFor();
    const passwordVersions = () => page.locator(`tr[data-secret="POSTGRES_DB_PASSWORD"]`).evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-version'))));
    await page.locator('tr[data-secret="POSTGRES_DB_PASSWORD"]').first().waitFor(); // versions load after the rotation
    const before = Math.max(...(await passwordVersions()));
    const activeRole = () => page.locator('.config .role.active').textContent();
    expect(await activeRole()).toContain(b.roles[0]);
    expect(await page.getByRole('link', { name: 'Workflow in the Temporal UI' }).getAttribute('href')).toBe(`${TEMPORAL_UI}/namespaces/default/workflows/pg-rotation-${rotB.id}`);
    await expectAccessible(page, 'rotation page');

    await page.getByRole('button', { name: 'Rotate now' }).click();
    await expect.poll(() => page.locator('.notice.ok').textContent(), { timeout: 60_000 }).toContain(`"${b.roles[1]}" is now the active role`);
    await expect.poll(async () => Math.max(...(await passwordVersions()))).toBe(before + 1);
    expect(await activeRole()).toContain(b.roles[1]);
    expect((await getRotationView(stack.ctx, rotB.id)).activeIndex).toBe(1);
    await shot(page, 'rotation-rotated');

    // Revealing a value reads the secret (read-secrets scope) and is audited.
    await page.locator('tr[data-secret="POSTGRES_DB_USERNAME"][data-version="1"]').getByRole('button', { name: /^Reveal/ }).click();
    await expect.poll(() => page.locator('tr[data-secret="POSTGRES_DB_USERNAME"][data-version="1"] .revealed code').textContent()).toBe(b.roles[0]);
    const audit = (await api('GET', `/api/v1/audit-events?projectId=${b.projectId}&limit=5`)).body.auditEvents as { action: string; details: { keys?: string[] } }[];
    expect(audit.find((e) => e.action === 'secrets.read')?.details.keys).toEqual(['POSTGRES_DB_USERNAME']);

    // A minimum overlap of an hour: the role just retired may still be in use, so rotating again is refused.
    await page.getByRole('button', { name: 'Edit' }).click();
    await page.getByLabel('Minimum overlap (seconds)').fill('99999999');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.locator('#edit-overlap-error').textContent()).toContain('must be at most');
    expect(await page.getByLabel('Minimum overlap (seconds)').getAttribute('aria-invalid')).toBe('true');
    await expectAccessible(page, 'edit dialog with an error');
    await page.getByLabel('Minimum overlap (seconds)').fill('3600');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.locator('.notice.ok').textContent()).toBe('Saved.');
    await page.getByRole('button', { name: 'Rotate now' }).click();
    await expect.poll(() => page.locator('.notice.warn').textContent(), { timeout: 60_000 }).toContain('Rotation refused: minimum overlap');
    expect(await page.locator('.notice.warn').textContent()).toMatch(/Allowed from \d{4}-/);
    expect(Math.max(...(await passwordVersions()))).toBe(before + 1);
    await shot(page, 'rotation-overlap-refused');
    await page.getByRole('button', { name: 'Force rotation…' }).click();
    await page.getByRole('dialog', { name: 'Force the rotation?' }).waitFor();
    await page.getByRole('button', { name: 'Force rotation', exact: true }).click();
    await expect.poll(() => page.locator('.notice.ok').textContent(), { timeout: 60_000 }).toContain(`"${b.roles[0]}" is now the active role`);
    await expect.poll(async () => Math.max(...(await passwordVersions()))).toBe(before + 2);

    await page.getByRole('button', { name: 'Pause auto-rotation' }).click();
    await page.getByRole('button', { name: 'Resume auto-rotation' }).waitFor();
    await expect.poll(async () => (await getRotationView(stack.ctx, rotB.id)).isAutoRotationEnabled).toBe(false);
    expect(await page.locator('.config').textContent()).toContain('none while paused');
    await page.getByRole('button', { name: 'Resume auto-rotation' }).click();
    await page.getByRole('button', { name: 'Pause auto-rotation' }).waitFor();
    const resumed = await getRotationView(stack.ctx, rotB.id);
    expect(resumed.isAutoRotationEnabled).toBe(true);
    expect(resumed.nextRotationAt).not.toBeNull();
    // Drift check: both stored passwords log in, the mapped secrets match the active role.
    await page.getByRole('button', { name: 'Drift check' }).click();
    await expect.poll(() => page.locator('.notice.ok').textContent(), { timeout: 30_000 }).toContain('No drift');
    expect(await page.locator('.notice.ok li').allTextContents()).toEqual([`${b.roles[0]}: logs in — active`, `${b.roles[1]}: logs in`, 'Mapped secrets match the active role.']);

    // Incident rotation: only after typing the rotation's name; both roles get new passwords, the other one is published.
    await page.getByRole('button', { name: 'Incident rotation…' }).click();
    const incident = page.getByRole('dialog', { name: 'Incident rotation' });
    const confirm = incident.getByRole('button', { name: 'Rotate both credentials' });
    expect(await confirm.isDisabled()).toBe(true);
    await incident.getByLabel(/Type the rotation's name/).fill('payments-db');
    await confirm.click();
    await expect.poll(() => page.locator('.notice.ok').textContent(), { timeout: 60_000 }).toContain('WARNING: both');
    await expect.poll(async () => Math.max(...(await passwordVersions()))).toBe(before + 3);
    expect(await activeRole()).toContain(b.roles[1]);

    await page.getByRole('button', { name: 'Delete…' }).click();
    await page.getByRole('dialog').waitFor();
    expect(await page.getByRole('dialog').textContent()).toContain('throwaway passwords');
    await expectAccessible(page, 'delete dialog');
    await page.getByRole('button', { name: 'Cancel' }).click();
    await shot(page, 'rotation-page');
  });

  it('a failed rotation stands out on the dashboard with its message; the status filter narrows the list', async () => {
    const q = pg.escapeIdentifier;
    const id = randomBytes(3).toString('hex');
    const roles: [string, string] = [`reports_${id}_1`, `reports_${id}_2`];
    for (const role of roles) {
      await stack.admin.query(`CREATE ROLE ${q(role)} LOGIN PASSWORD 'temporary_password'`);
      await stack.admin.query(`GRANT CONNECT ON DATABASE ${q(b.database)} TO ${q(role)}`);
    }
    const input = b.rotationInput({ name: 'reports-db', secretPath: '/reports', parameters: { username1: roles[0], username2: roles[1] } });
    const reports = await createRotation(stack.ctx, input, 'test');
    // The inactive role disappears behind pg-rotator's back: the next rotation fails (the published pair still works).
    await stack.admin.query(`REVOKE CONNECT ON DATABASE ${q(b.database)} FROM ${q(roles[1])}`);
    await stack.admin.query(`DROP ROLE ${q(roles[1])}`);
    await rotateRotation(stack.ctx, reports.id, {}, 'test').catch(() => {});
    expect((await getRotationView(stack.ctx, reports.id)).rotationStatus).toBe('failed');

    const { page } = await newSession(adminToken);
    await page.goto(`${origin}/#/?project=${b.projectId}&environment=dev`);
    const failed = page.locator('tr.failed[data-rotation="reports-db"]');
    await failed.waitFor();
    expect(await page.locator('tbody tr').first().getAttribute('data-rotation')).toBe('reports-db'); // failed ones first
    expect(await failed.locator('.fail-message').textContent()).toContain(`"${roles[1]}" does not exist`);
    expect(await page.locator('.summary').textContent()).toContain('1 failed');
    await expectAccessible(page, 'dashboard with a failure');
    await shot(page, 'dashboard');
    await page.getByLabel('Status').selectOption('failed');
    await expect.poll(() => page.locator('tr[data-rotation]').count()).toBe(1);
    await page.getByLabel('Status').selectOption('success');
    await expect.poll(() => page.locator('tr[data-rotation]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-rotation')))).toEqual(['payments-db']);
    await page.getByLabel('Status').selectOption('all');
    await page.getByLabel('Folder').selectOption('/reports');
    await expect.poll(() => page.locator('tr[data-rotation]').count()).toBe(1);
    await deleteRotation(stack.ctx, reports.id, { deleteSecrets: true, revokeGeneratedCredentials: false }, 'test');
    await stack.admin.query(`REVOKE CONNECT ON DATABASE ${q(b.database)} FROM ${q(roles[0])}`);
    await stack.admin.query(`DROP ROLE ${q(roles[0])}`);
  });

  it('a read-only token cannot rotate: the actions are disabled with a tooltip naming the scope; a 403 is explained', async () => {
    const viewer = await createToken(stack.ctx, { name: 'viewer', projectId: b.projectId, actions: ['read'] }, 'test');
    const { page } = await newSession(viewer.token);
    await page.goto(`${origin}/#/rotations/${rotB.id}`);
    await page.getByRole('heading', { name: 'payments-db' }).waitFor();
    const versionsBefore = (await api('GET', `${ROT}/${rotB.id}/secret-versions`)).body.secretVersions.length;
    const rotate = page.getByRole('button', { name: 'Rotate now' });
    expect(await rotate.getAttribute('aria-disabled')).toBe('true');
    await rotate.hover();
    const tip = page.getByRole('tooltip', { name: /Needs the "rotate" scope/ });
    await tip.waitFor();
    expect(await tip.textContent()).toBe('Needs the "rotate" scope: token "viewer" may read.');
    await rotate.click({ force: true }); // Playwright will not click an aria-disabled button unless forced
    await shot(page, 'read-only-rotate-disabled');
    expect((await api('GET', `${ROT}/${rotB.id}/secret-versions`)).body.secretVersions.length).toBe(versionsBefore);
    // Keyboard users get the tooltip on focus.
    await page.getByRole('button', { name: /Delete/ }).focus();
    await page.getByRole('tooltip', { name: /Needs the "delete" scope/ }).waitFor();
    expect(await page.getByRole('button', { name: /^Reveal/ }).first().getAttribute('aria-disabled')).toBe('true');
    await expectAccessible(page, 'rotation page, read-only');

    // The same kind of token for another project, sent to this rotation: the API's 403, explained.
    const other = await createToken(stack.ctx, { name: 'other-viewer', projectId: a.projectId, actions: ['read'] }, 'test');
    const s2 = await newSession(other.token);
    await s2.page.goto(`${origin}/#/rotations/${rotB.id}`);
    const alert = s2.page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('Not allowed with this token');
    expect(await alert.textContent()).toContain(`scoped to project ${a.projectId}`);
    await expectAccessible(s2.page, '403 page');
    await shot(s2.page, 'forbidden-explained');
  });

  it('works from the keyboard alone: sign in, open a rotation from the list, open and dismiss a dialog', async () => {
    const { page } = await newSession();
    /** Presses Tab until the focused element's accessible text is `text` (at most 40 times). */
    const tabTo = async (text: string) => {
      for (let i = 0; i < 40; i++) {
        await page.keyboard.press('Tab');
        if ((await page.evaluate<string>('(document.activeElement?.textContent ?? "").trim() || document.activeElement?.id || ""')) === text) return;
      }
      throw new Error(`Tab never reached "${text}"`);
    };
    await tabTo('token');
    await page.keyboard.type(adminToken);
    await page.keyboard.press('Enter');
    await page.getByText('Signed in with token').waitFor();
    await page.goto(`${origin}/#/?project=${b.projectId}&environment=dev&folder=%2F`);
    await page.locator('tr[data-rotation="payments-db"]').waitFor();
    await tabTo('payments-db');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'payments-db' }).waitFor();
    await tabTo('Delete…');
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Delete rotation payments-db?' });
    await dialog.waitFor();
    expect(await page.evaluate<boolean>('document.querySelector("dialog").contains(document.activeElement)')).toBe(true);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect((await getRotationView(stack.ctx, rotB.id)).name).toBe('payments-db'); // nothing deleted
  });

  it('connections: add (credentials checked, the password write-only), a refused delete explained, edit, delete', async () => {
    const q = pg.escapeIdentifier;
    const role = `e2e_admin_${randomBytes(3).toString('hex')}`;
    const password = randomBytes(18).toString('base64url');
    await stack.admin.query(`CREATE ROLE ${q(role)} LOGIN CREATEROLE PASSWORD ${pg.escapeLiteral(password)}`);
    await stack.admin.query(`GRANT CONNECT ON DATABASE ${q(b.database)} TO ${q(role)}`);
    const { page } = await newSession(adminToken);
    await page.goto(`${origin}/#/connections?project=${b.projectId}`);
    await page.locator(`tr[data-connection="${b.connection.name}"]`).waitFor();
    await expectAccessible(page, 'connections');

    await page.getByRole('button', { name: 'Add connection' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add connection' });
    await dialog.getByLabel('Name', { exact: true }).fill('reporting');
    await dialog.getByLabel('Host').fill(b.connection.host);
    await dialog.getByLabel('Port').fill(String(b.connection.port));
    await dialog.getByLabel('Database').fill(b.database);
    await dialog.getByLabel('Admin username').fill(role);
    expect(await dialog.getByLabel('Admin password').getAttribute('type')).toBe('password');
    await dialog.getByLabel('Admin password').fill('wrong-password');
    await expectAccessible(page, 'add connection dialog');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => dialog.textContent(), { timeout: 30_000 }).toMatch(/password authentication failed|credentials/i);
    expect((await api('GET', `/api/v1/app-connections/postgres?projectId=${b.projectId}`)).body.appConnections).toHaveLength(1);
    await shot(page, 'connection-refused');
    await dialog.getByLabel('Admin password').fill(password);
    await dialog.getByRole('button', { name: 'Save' }).click();
    const row = page.locator('tr[data-connection="reporting"]');
    await row.waitFor({ timeout: 30_000 });
    expect(await page.content()).not.toContain(password);

    // Edit: the password field starts empty (never sent to the browser) and an empty one keeps the stored password.
    await row.getByRole('button', { name: 'Edit reporting' }).click();
    const edit = page.getByRole('dialog', { name: 'Edit connection reporting' });
    expect(await edit.getByLabel('Admin password').inputValue()).toBe('');
    await edit.getByLabel('Description (optional)').fill('read replica admin');
    await edit.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => row.textContent(), { timeout: 30_000 }).toContain('read replica admin');

    // The connection payments-db uses cannot be deleted: the reason is shown.
    await page.locator(`tr[data-connection="${b.connection.name}"]`).getByRole('button', { name: `Delete ${b.connection.name}` }).click();
    const del = page.getByRole('dialog');
    await del.getByRole('button', { name: 'Delete connection' }).click();
    await expect.poll(() => del.textContent()).toContain('Not deleted');
    expect(await del.textContent()).toContain('payments-db');
    await shot(page, 'connection-delete-refused');
    await del.getByRole('button', { name: 'Cancel' }).click();

    await row.getByRole('button', { name: 'Delete reporting' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete connection' }).click();
    await row.waitFor({ state: 'detached' });
    expect((await api('GET', `/api/v1/app-connections/postgres?projectId=${b.projectId}`)).body.appConnections).toHaveLength(1);
    await stack.admin.query(`DROP ROLE ${q(role)}`).catch(() => {});
  });
});
