// HTTPS for the REST API, for real: the API process (src/api/main.ts) with ROTATOR_API_TLS_CERT / _KEY (and
// _CLIENT_CA), spoken to by Node's own TLS client with the throwaway CA made here.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createCertificateAuthority, issueCertificate, type CertificateAuthority } from '../../dev/stack/postgres-cluster.js';
import { freePort } from '../../dev/stack/process.js';
import { loadConfig } from '../../src/config.js';
import { logFile, stackEnv } from '../support/stack.js';
import { type LoggedProcess, startLoggedProcess } from '../support/worker-process.js';

const ADMIN_TOKEN = randomBytes(32).toString('base64url');
let dir: string;
let ca: CertificateAuthority;
let otherCa: CertificateAuthority;
type CertPair = { certFile: string; keyFile: string };
let server: CertPair;
let client: CertPair;
let strangerClient: CertPair;
const children: LoggedProcess[] = [];

/** The API process (src/api/main.ts, as the image runs it) with these settings over the stack's. */
function startApiProcess(name: string, env: Record<string, string>): LoggedProcess {
  const child = startLoggedProcess(process.execPath, ['--import', 'tsx', 'src/api/main.ts'], {
    env: { ...stackEnv(), ROTATOR_ADMIN_TOKEN: ADMIN_TOKEN, ...env },
    logFile: logFile(name),
  });
  children.push(child);
  return child;
}

async function startApi(name: string, tlsEnv: Record<string, string>): Promise<{ port: number }> {
  const port = await freePort();
  await startApiProcess(name, { ROTATOR_API_PORT: String(port), ROTATOR_API_HOST: '127.0.0.1', ...tlsEnv }).waitFor(/Server listening at/, 60_000);
  return { port };
}

interface Answer {
  status: number;
  body: string;
}

function request(mod: typeof http | typeof https, url: string, options: https.RequestOptions = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = mod.request(url, { ...options, agent: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  dir = path.join(inject('testDataDir'), `api-https-${randomBytes(4).toString('hex')}`);
  ca = await createCertificateAuthority(path.join(dir, 'ca'), 'pg-rotator API test CA');
  otherCa = await createCertificateAuthority(path.join(dir, 'other-ca'), 'pg-rotator other CA');
  server = await issueCertificate(ca, path.join(dir, 'certs'), { name: 'api', commonName: 'localhost', purpose: 'server', subjectAltNames: ['DNS:localhost', 'IP:127.0.0.1'] });
  client = await issueCertificate(ca, path.join(dir, 'certs'), { name: 'client', commonName: 'deploy-bot', purpose: 'client' });
  strangerClient = await issueCertificate(otherCa, path.join(dir, 'certs'), { name: 'stranger', commonName: 'stranger', purpose: 'client' });
});

afterAll(async () => {
  await Promise.all(children.map((child) => child.stop()));
});

describe('HTTPS for the API', () => {
  it('serves HTTPS with ROTATOR_API_TLS_CERT / _KEY; plain HTTP to that port and clients that do not trust the CA get nothing', async () => {
    const { port } = await startApi('api-https', { ROTATOR_API_TLS_CERT: server.certFile, ROTATOR_API_TLS_KEY: server.keyFile });
    const trusted = readFileSync(ca.certFile);
    const status = await request(https, `https://localhost:${port}/api/status`, { ca: trusted });
    expect(status.status).toBe(200);
    const projects = await request(https, `https://127.0.0.1:${port}/api/v1/projects`, { ca: trusted, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(projects.status).toBe(200);
    expect(JSON.parse(projects.body)).toHaveProperty('projects');

    await expect(request(http, `http://127.0.0.1:${port}/api/status`)).rejects.toThrow(/socket hang up|ECONNRESET/);
    await expect(request(https, `https://localhost:${port}/api/status`)).rejects.toThrow(/self-signed certificate|unable to verify/);
  });

  it('with ROTATOR_API_TLS_CLIENT_CA: no client certificate, or one from another CA, is refused; one the CA signed gets through', async () => {
    const { port } = await startApi('api-https-mtls', {
      ROTATOR_API_TLS_CERT: server.certFile,
      ROTATOR_API_TLS_KEY: server.keyFile,
      ROTATOR_API_TLS_CLIENT_CA: ca.certFile,
    });
    const url = `https://localhost:${port}/api/status`;
    const trust = { ca: readFileSync(ca.certFile) };
    await expect(request(https, url, trust)).rejects.toThrow(/certificate required|socket hang up|ECONNRESET/);
    await expect(request(https, url, { ...trust, cert: readFileSync(strangerClient.certFile), key: readFileSync(strangerClient.keyFile) })).rejects.toThrow(
      /unknown ca|socket hang up|ECONNRESET/,
    );
    const ok = await request(https, url, { ...trust, cert: readFileSync(client.certFile), key: readFileSync(client.keyFile) });
    expect(ok.status).toBe(200);
  });

  it('only one of ROTATOR_API_TLS_CERT / _KEY: the API does not start, and says to set both', async () => {
    const api = startApiProcess('api-https-half', { ROTATOR_API_PORT: '0', ROTATOR_API_TLS_CERT: server.certFile });
    expect(await api.exited).toBe(1);
    expect(api.stderr()).toContain('invalid environment: ROTATOR_API_TLS_CERT and ROTATOR_API_TLS_KEY: set both (HTTPS) or neither (plain HTTP)');
  });

  it('bad files and combinations are named at start, never printing a key', () => {
    const load = (env: Record<string, string>) => () => loadConfig({ ...stackEnv(), ...env });
    const missing = path.join(dir, 'missing.key');
    expect(load({ ROTATOR_API_TLS_CERT: server.certFile, ROTATOR_API_TLS_KEY: missing })).toThrow(`invalid environment: ROTATOR_API_TLS_KEY: cannot read ${missing} (ENOENT)`);
    expect(load({ ROTATOR_API_TLS_CERT: server.certFile, ROTATOR_API_TLS_KEY: client.keyFile })).toThrow(
      'invalid environment: ROTATOR_API_TLS_KEY: is not the private key of the certificate in ROTATOR_API_TLS_CERT',
    );
    expect(load({ ROTATOR_API_TLS_CERT: server.keyFile, ROTATOR_API_TLS_KEY: server.keyFile })).toThrow('invalid environment: ROTATOR_API_TLS_CERT: must be a PEM certificate');
    expect(load({ ROTATOR_API_TLS_CERT: server.certFile, ROTATOR_API_TLS_KEY: server.keyFile, ROTATOR_API_TLS_CLIENT_CA: server.keyFile })).toThrow(
      'invalid environment: ROTATOR_API_TLS_CLIENT_CA: must be a PEM certificate',
    );
    expect(load({ ROTATOR_API_TLS_CLIENT_CA: ca.certFile })).toThrow(/ROTATOR_API_TLS_CLIENT_CA: needs ROTATOR_API_TLS_CERT and ROTATOR_API_TLS_KEY/);
    expect(loadConfig({ ...stackEnv(), ROTATOR_API_TLS_CERT: server.certFile, ROTATOR_API_TLS_KEY: server.keyFile }).apiTls).toMatchObject({ clientCa: undefined });
  });
});
