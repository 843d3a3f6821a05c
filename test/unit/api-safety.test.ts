// API safety without a stack (a fake control database): rate limiting of failed authentication per client
// address (src/api/auth-limiter.ts), and the request size limits over a real socket.
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthFailureLimiter, clientKey } from '../../src/api/auth-limiter.js';
import { buildApi } from '../../src/api/server.js';
import type { ServiceContext } from '../../src/service/context.js';

const ADMIN = 'admin-token-0123456789-abcdefghijklmnop';
const PROJ = '/api/v1/projects';
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A service context whose control database has no rows (every token lookup misses, every list is empty). */
const emptyCtx = () => ({ db: { pool: { query: async () => ({ rows: [], rowCount: 0 }) } }, temporal: {}, close: async () => {} }) as unknown as ServiceContext;

function clock(start = 1_700_000_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

describe('AuthFailureLimiter', () => {
  it('blocks after max failures in the window, until the oldest of them leaves it (sliding)', () => {
    const c = clock();
    const l = new AuthFailureLimiter({ max: 3, windowMs: 10_000, now: c.now });
    for (let i = 0; i < 3; i++) {
      expect(l.retryAfterMs('1.2.3.4')).toBe(0);
      l.recordFailure('1.2.3.4');
      c.advance(1000);
    }
    // Failures at 0, 1 s and 2 s; now 3 s: blocked until the first leaves the window at 10 s.
    expect(l.retryAfterMs('1.2.3.4')).toBe(7000);
    expect(l.retryAfterMs('1.2.3.5')).toBe(0);
    c.advance(7000);
    expect(l.retryAfterMs('1.2.3.4')).toBe(0); // one attempt is free again…
    l.recordFailure('1.2.3.4');
    expect(l.retryAfterMs('1.2.3.4')).toBe(1000); // …and its failure blocks until the one at 1 s expires
    c.advance(20_000);
    expect(l.retryAfterMs('1.2.3.4')).toBe(0);
    expect(l.size).toBe(0); // expired clients are forgotten
  });

  it('keeps at most maxClients clients, forgetting the least recently failing first', () => {
    const c = clock();
    const l = new AuthFailureLimiter({ max: 1, windowMs: 60_000, maxClients: 100, now: c.now });
    for (let i = 0; i < 1000; i++) l.recordFailure(`10.0.${i >> 8}.${i & 255}`);
    expect(l.size).toBe(100);
    expect(l.retryAfterMs('10.0.3.231')).toBeGreaterThan(0); // the last one is remembered
    expect(l.retryAfterMs('10.0.0.0')).toBe(0); // the first one was forgotten
  });

  it('counts IPv4-mapped addresses as IPv4 and IPv6 addresses by their /64', () => {
    expect(clientKey('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(clientKey('127.0.0.1')).toBe('127.0.0.1');
    expect(clientKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:0db8:0001:0002:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(clientKey('::1')).toBe('0:0:0:0::/64');
    expect(clientKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(clientKey('64:ff9b::192.0.2.33')).toBe('64:ff9b:0:0::/64');
    const l = new AuthFailureLimiter({ max: 1 });
    l.recordFailure('2001:db8:1:2::1');
    expect(l.retryAfterMs('2001:db8:1:2::ffff')).toBeGreaterThan(0);
    expect(l.retryAfterMs('2001:db8:1:3::1')).toBe(0);
  });

  it('refuses nonsense settings', () => {
    expect(() => new AuthFailureLimiter({ max: 0 })).toThrow(RangeError);
    expect(() => new AuthFailureLimiter({ windowMs: 0 })).toThrow(RangeError);
    expect(() => new AuthFailureLimiter({ maxClients: 1.5 })).toThrow(RangeError);
  });
});

describe('API: failed authentication is rate limited per client address', () => {
  const c = clock();
  let app: Awaited<ReturnType<typeof buildApi>>;

  beforeAll(async () => {
    app = await buildApi({ ctx: emptyCtx(), adminToken: ADMIN, authLimit: { now: c.now } }); // default 20 a minute
  });
  afterAll(async () => {
    await app.close();
  });

  const get = async (url: string, remoteAddress: string, token?: string) => {
    const r = await app.inject({ method: 'GET', url, remoteAddress, headers: token ? { authorization: `Bearer ${token}` } : {} });
    return { status: r.statusCode, body: (r.body ? JSON.parse(r.body) : {}) as Json, retryAfter: r.headers['retry-after'] };
  };

  it('20 failures → 401 each; the 21st request → 429 with Retry-After and the standard error body, whatever its token', async () => {
    for (let i = 0; i < 20; i++) {
      const token = i % 3 === 0 ? undefined : i % 3 === 1 ? 'wrong' : `pgr_${'A'.repeat(43)}`;
      expect((await get(PROJ, '198.51.100.7', token)).status).toBe(401);
      c.advance(1000);
    }
    const limited = await get(PROJ, '198.51.100.7', 'wrong');
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({ statusCode: 429, error: 'Too Many Requests', message: expect.stringMatching(/too many failed authentication attempts/) });
    // The first failure was at t=0, now is t=20 s: it leaves the window at t=60 s.
    expect(limited.retryAfter).toBe('40');
    // A blocked client's token is not looked at: the admin token is refused too (no oracle for a guesser)…
    expect((await get(PROJ, '198.51.100.7', ADMIN)).status).toBe(429);
    // …on every authenticated route, even unknown ones; public routes stay open.
    expect((await get('/api/v2/secret-rotations/postgres-credentials?projectId=x', '198.51.100.7', ADMIN)).status).toBe(429);
    expect((await get('/no/such/route', '198.51.100.7')).status).toBe(429);
    expect(await get('/api/status', '198.51.100.7')).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect((await get('/openapi.json', '198.51.100.7')).status).toBe(200);
    // Another address is not affected: a valid token works, a bad one is a plain 401.
    expect(await get(PROJ, '203.0.113.9', ADMIN)).toMatchObject({ status: 200, body: { projects: [] } });
    expect((await get(PROJ, '203.0.113.9', 'wrong')).status).toBe(401);
  });

  it('refused (429) requests are not counted: the window slides and the client gets its attempts back', async () => {
    c.advance(19_000); // t = 39 s + a little: still blocked
    expect((await get(PROJ, '198.51.100.7', ADMIN)).status).toBe(429);
    c.advance(21_000); // t ≈ 60 s: the failure at t=0 left the window, the one at t=1 s has not
    expect((await get(PROJ, '198.51.100.7', ADMIN)).status).toBe(200);
    expect((await get(PROJ, '198.51.100.7', 'wrong')).status).toBe(401);
    expect((await get(PROJ, '198.51.100.7', ADMIN)).status).toBe(429);
    c.advance(60_000); // every failure expired
    expect((await get(PROJ, '198.51.100.7', ADMIN)).status).toBe(200);
  });

  it('successful requests are never counted', async () => {
    for (let i = 0; i < 100; i++) expect((await get(PROJ, '192.0.2.50', ADMIN)).status).toBe(200);
    for (let i = 0; i < 20; i++) expect((await get(PROJ, '192.0.2.50', 'wrong')).status).toBe(401);
    expect((await get(PROJ, '192.0.2.50', 'wrong')).status).toBe(429);
  });

  it('authLimit: false turns the limit off', async () => {
    const open = await buildApi({ ctx: emptyCtx(), adminToken: ADMIN, authLimit: false });
    try {
      for (let i = 0; i < 50; i++) expect((await open.inject({ method: 'GET', url: PROJ, remoteAddress: '198.51.100.8' })).statusCode).toBe(401);
    } finally {
      await open.close();
    }
  });

  it('429 is documented on every authenticated operation of the OpenAPI document, not on the public ones', async () => {
    const doc = (await get('/openapi.json', '192.0.2.1')).body;
    let operations = 0;
    for (const [path, item] of Object.entries(doc.paths as Json)) {
      for (const [method, op] of Object.entries(item as Json)) {
        operations += 1;
        const documented = Object.keys((op as Json).responses ?? {});
        if (path === '/api/status') expect(documented, `${method} ${path}`).not.toContain('429');
        else expect(documented, `${method} ${path}`).toContain('429');
      }
    }
    expect(operations).toBeGreaterThanOrEqual(20);
  });
});

describe('request size limits (real socket)', () => {
  let app: Awaited<ReturnType<typeof buildApi>>;
  let port = 0;

  beforeAll(async () => {
    app = await buildApi({ ctx: emptyCtx(), adminToken: ADMIN, bodyLimit: 1024 });
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as { port: number }).port;
  });
  afterAll(async () => {
    await app.close();
  });

  /** A raw request (fetch refuses oversized headers itself). */
  function send(method: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; body: Json }> {
    return new Promise((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as Json) : {} });
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  }
  const auth = { authorization: `Bearer ${ADMIN}` };

  it('a body over bodyLimit → 413 with the standard error body', async () => {
    const res = await send('POST', PROJ, { ...auth, 'content-type': 'application/json' }, JSON.stringify({ name: 'x'.repeat(2000) }));
    expect(res).toEqual({ status: 413, body: { statusCode: 413, error: 'Payload Too Large', message: expect.any(String) } });
  });

  it('headers over 16 KiB → 431 with the standard error body, before any route runs', async () => {
    const res = await send('GET', PROJ, { ...auth, 'x-padding': 'p'.repeat(20_000) });
    expect(res.status).toBe(431);
    expect(res.body).toMatchObject({ statusCode: 431, error: expect.any(String), message: expect.any(String) });
  });

  it('an over-long Authorization header is a 401, never parsed as a token', async () => {
    const res = await send('GET', PROJ, { authorization: `Bearer ${'x'.repeat(8000)}` });
    expect(res).toEqual({ status: 401, body: { statusCode: 401, error: 'Unauthorized', message: expect.any(String) } });
  });

  it('a path parameter over 4 KiB → 414 with the standard error body', async () => {
    const res = await send('GET', `${PROJ}/${'a'.repeat(5000)}`, auth);
    expect(res.status).toBe(414);
    expect(res.body).toMatchObject({ statusCode: 414, error: 'URI Too Long', message: expect.any(String) });
  });
});

describe('methods', () => {
  it('a known path with another method → 405 with Allow (before any body is read); an unknown path → 404', async () => {
    const app = await buildApi({ ctx: emptyCtx(), adminToken: ADMIN });
    try {
      const auth = { authorization: `Bearer ${ADMIN}` };
      const cases: [string, string, number, string | undefined][] = [
        ['PUT', PROJ, 405, 'GET, HEAD, POST'],
        ['DELETE', `${PROJ}/`, 405, 'GET, HEAD, POST'],
        ['QUERY', `${PROJ}/3c90c3cc-0d44-4b50-8888-8dd25736052a`, 405, 'GET, HEAD'],
        ['TRACE', '/api/status', 405, 'GET, HEAD'],
        ['PUT', '/api/v2/secret-rotations/postgres-credentials/x/rotate-secrets', 405, 'POST'],
        ['GET', '/api/v1/nothing-here', 404, undefined],
        ['PUT', '/api/v1/nothing-here', 404, undefined],
      ];
      for (const [method, url, status, allow] of cases) {
        const r = await app.inject({ method: method as 'PUT', url, headers: auth });
        expect([method, url, r.statusCode, r.headers.allow], r.body).toEqual([method, url, status, allow]);
        expect(JSON.parse(r.body)).toMatchObject({ statusCode: status, error: status === 405 ? 'Method Not Allowed' : 'Not Found' });
      }
      // Unauthenticated callers learn nothing about which methods exist.
      expect((await app.inject({ method: 'PUT', url: PROJ })).statusCode).toBe(401);
    } finally {
      await app.close();
    }
  });
});
