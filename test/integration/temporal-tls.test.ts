// TLS and mutual TLS to Temporal, for real: the test's Temporal dev server behind TLS-terminating proxies on
// loopback (Node's tls server, ALPN h2, piping to the dev server), with a throwaway CA made here. Workers and
// clients connect through @temporalio/envconfig settings (TEMPORAL_* variables, a temporal.toml profile).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createCertificateAuthority, issueCertificate, type CertificateAuthority } from '../../dev/stack/postgres-cluster.js';
import { freePort } from '../../dev/stack/process.js';
import { loadConfig } from '../../src/config.js';
import { openServiceContext, type ServiceContext } from '../../src/service/context.js';
import { createRotation, rotateRotation } from '../../src/service/rotations.js';
import { rememberPasswords } from '../support/passwords.js';
import { canLogin, logFile, openTestStack, stackEnv, type TestStack } from '../support/stack.js';
import { type LoggedProcess, startWorkerProcess } from '../support/worker-process.js';

const API_KEY = `tmprl_${randomBytes(24).toString('hex')}`;
let stack: TestStack;
let dir: string;
let ca: CertificateAuthority;
let wrongCa: CertificateAuthority;
type CertPair = { certFile: string; keyFile: string };
let workerCert: CertPair;
let apiCert: CertPair;
let serverCert: { cert: Buffer; key: Buffer };
const proxies: Proxy[] = [];
const contexts: ServiceContext[] = [];
const children: LoggedProcess[] = [];

interface Proxy {
  port: number;
  address: string;
  /** Common names of the client certificates of the connections it let through (mutual TLS only). */
  peers: string[];
  close(): Promise<void>;
}

/** A TLS-terminating proxy to the dev server; with `mutual`, it requires a client certificate signed by the test CA. */
async function startProxy(opts: { mutual: boolean; port?: number }): Promise<Proxy> {
  const [host, port] = inject('temporalAddress').split(':') as [string, string];
  const open = new Set<net.Socket>();
  const peers: string[] = [];
  const server = tls.createServer(
    { ...serverCert, ALPNProtocols: ['h2'], ...(opts.mutual ? { ca: ca.certPem, requestCert: true, rejectUnauthorized: true } : {}) },
    (socket) => {
      if (opts.mutual) peers.push(String(socket.getPeerCertificate().subject.CN));
      const upstream = net.connect(Number(port), host);
      const end = () => {
        socket.destroy();
        upstream.destroy();
      };
      for (const s of [socket, upstream]) {
        open.add(s);
        s.on('error', end).on('close', () => {
          open.delete(s);
          end();
        });
      }
      socket.pipe(upstream).pipe(socket);
    },
  );
  server.on('tlsClientError', () => {}); // refused handshakes are what some cases are about
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(opts.port ?? 0, '127.0.0.1', resolve));
  const bound = (server.address() as net.AddressInfo).port;
  const proxy: Proxy = {
    port: bound,
    address: `127.0.0.1:${bound}`,
    peers,
    close: () => {
      for (const s of open) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  proxies.push(proxy);
  return proxy;
}

/** Settings for a TLS connection to `address`, verified as `localhost` (a name in the proxy's certificate). */
function tlsEnv(address: string, opts: { clientCert?: CertPair; caFile?: string } = {}): Record<string, string> {
  return {
    TEMPORAL_ADDRESS: address,
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: opts.caFile ?? ca.certFile,
    TEMPORAL_TLS_SERVER_NAME: 'localhost',
    ...(opts.clientCert ? { TEMPORAL_TLS_CLIENT_CERT_PATH: opts.clientCert.certFile, TEMPORAL_TLS_CLIENT_KEY_PATH: opts.clientCert.keyFile } : {}),
  };
}

async function openContext(env: Record<string, string>, temporalAttempts?: number): Promise<ServiceContext> {
  const ctx = await openServiceContext(loadConfig({ ...stackEnv(), ...env }), { temporalAttempts });
  contexts.push(ctx);
  return ctx;
}

/**
 * The real worker process with the stack's settings but no TEMPORAL_ADDRESS, and none of the test runner's
 * environment (a TEMPORAL_* variable there would change what is tested): only `env` says how to reach Temporal.
 */
function spawnWorker(name: string, env: Record<string, string>): LoggedProcess {
  const { TEMPORAL_ADDRESS: _plain, ...base } = stackEnv();
  const child = startWorkerProcess({ env: { ...base, ...env }, logFile: logFile(name) });
  children.push(child);
  return child;
}

beforeAll(async () => {
  stack = await openTestStack();
  dir = path.join(inject('testDataDir'), `temporal-tls-${randomBytes(4).toString('hex')}`);
  ca = await createCertificateAuthority(path.join(dir, 'ca'), 'pg-rotator Temporal test CA');
  wrongCa = await createCertificateAuthority(path.join(dir, 'wrong-ca'), 'pg-rotator wrong CA');
  const server = await issueCertificate(ca, path.join(dir, 'certs'), { name: 'proxy', commonName: 'localhost', purpose: 'server', subjectAltNames: ['DNS:localhost', 'IP:127.0.0.1'] });
  serverCert = { cert: readFileSync(server.certFile), key: readFileSync(server.keyFile) };
  workerCert = await issueCertificate(ca, path.join(dir, 'certs'), { name: 'worker', commonName: 'pg-rotator-worker', purpose: 'client' });
  apiCert = await issueCertificate(ca, path.join(dir, 'certs'), { name: 'api', commonName: 'pg-rotator-api', purpose: 'client' });
});

afterAll(async () => {
  await Promise.all(children.map((c) => c.kill()));
  for (const ctx of contexts) {
    await rememberPasswords(ctx.db).catch(() => {});
    await ctx.close().catch(() => {});
  }
  await stack?.close();
  await Promise.all(proxies.map((p) => p.close()));
});

describe('Temporal over TLS and mutual TLS', () => {
  it('a worker configured by a temporal.toml profile (TEMPORAL_PROFILE) with the right client certificate rotates through the mutual-TLS proxy', async () => {
    const mutual = await startProxy({ mutual: true });
    const configFile = path.join(dir, 'temporal.toml');
    await writeFile(
      configFile,
      `[profile.default]\naddress = "127.0.0.1:1"\n\n` +
        `[profile.secure]\naddress = "${mutual.address}"\nnamespace = "default"\napi_key = "${API_KEY}"\n` +
        `[profile.secure.tls]\nserver_ca_cert_path = "${ca.certFile}"\nserver_name = "localhost"\nclient_cert_path = "${workerCert.certFile}"\nclient_key_path = "${workerCert.keyFile}"\n`,
    );
    const worker = spawnWorker('worker-temporal-mtls', { TEMPORAL_CONFIG_FILE: configFile, TEMPORAL_PROFILE: 'secure' });
    await worker.waitFor(/worker started/);
    expect(worker.output()).toContain(`"address":"${mutual.address}"`);
    expect(worker.output()).toMatch(/"tls":"mutual","apiKey":true,"profile":"secure"/);

    // The client side too: the service context through the same proxy, configured by TEMPORAL_* variables.
    const ctx = await openContext(tlsEnv(mutual.address, { clientCert: apiCert }));
    const target = await stack.newTarget('temporal-mtls');
    const created = await createRotation(ctx, target.rotationInput(), 'test');
    expect(created.rotationStatus).toBe('success');
    const rotated = await rotateRotation(ctx, created.id, {}, 'test');
    expect(rotated).toMatchObject({ rotationStatus: 'success', activeIndex: 1 });
    await rememberPasswords(ctx.db);
    expect(await canLogin(target.database, target.roles[0], target.temporaryPassword)).toBe(false); // the worker really did the work
    expect(new Set(mutual.peers)).toEqual(new Set(['pg-rotator-worker', 'pg-rotator-api'])); // both sides used their certificates

    expect(await worker.stop()).toBe(0);
    const output = worker.output();
    expect(output).not.toContain(API_KEY);
    expect(output).not.toContain('PRIVATE KEY');
    expect(output).not.toContain(readFileSync(workerCert.keyFile, 'utf8').split('\n')[1]!);
  });

  it('without a client certificate, where the proxy requires one: the worker fails at start saying so, the client call fails naming the alert', async () => {
    const mutual = await startProxy({ mutual: true });
    await expect(stack.startWorker('worker-temporal-no-client-cert', tlsEnv(mutual.address))).rejects.toThrow(
      `connecting to Temporal: Temporal at ${mutual.address}: the server requires a client certificate: set TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH`,
    );
    const ctx = await openContext(tlsEnv(mutual.address), 1);
    await expect(ctx.temporal.workflowService.getSystemInfo({})).rejects.toThrow(/certificate required/i);
    expect(mutual.peers).toEqual([]);
  });

  it('a bad TLS setting stops the worker process at start, naming the variable and the rule (and printing no key)', async () => {
    const missing = path.join(dir, 'missing-client.crt');
    const worker = spawnWorker('worker-temporal-bad-setting', {
      ...tlsEnv('127.0.0.1:1'),
      TEMPORAL_TLS_CLIENT_CERT_PATH: missing,
      TEMPORAL_TLS_CLIENT_KEY_PATH: workerCert.keyFile,
    });
    expect(await worker.exited).toBe(1);
    expect(worker.output()).toContain(`invalid Temporal connection settings: TEMPORAL_TLS_CLIENT_CERT_PATH: cannot read ${missing} (ENOENT)`);
    const mismatched = spawnWorker('worker-temporal-mismatched-key', { ...tlsEnv('127.0.0.1:1', { clientCert: { certFile: workerCert.certFile, keyFile: apiCert.keyFile } }) });
    expect(await mismatched.exited).toBe(1);
    expect(mismatched.output()).toContain('TEMPORAL_TLS_CLIENT_KEY_PATH: is not the private key of the certificate in TEMPORAL_TLS_CLIENT_CERT_PATH');
    expect(mismatched.output()).not.toContain(readFileSync(apiCert.keyFile, 'utf8').split('\n')[1]!);
  });

  // The worker would wait forever if it took this for "unavailable": that it fails at all shows it did not.
  it('with the wrong CA: the worker fails at start naming the CA problem, the client call names it too', async () => {
    const serverOnly = await startProxy({ mutual: false });
    await expect(stack.startWorker('worker-temporal-wrong-ca', tlsEnv(serverOnly.address, { caFile: wrongCa.certFile }))).rejects.toThrow(
      `connecting to Temporal: Temporal at ${serverOnly.address}: the server's certificate is not signed by a CA this process trusts: set TEMPORAL_TLS_SERVER_CA_CERT_PATH to the CA that signed it`,
    );
    const ctx = await openContext(tlsEnv(serverOnly.address, { caFile: wrongCa.certFile }), 1);
    await expect(ctx.temporal.workflowService.getSystemInfo({})).rejects.toThrow(/self-signed certificate|unable to verify/i);
  });

  it('a worker started while Temporal is unreachable waits (logging each retry) and starts when it comes up; SIGTERM while waiting stops it cleanly', async () => {
    const port = await freePort();
    const waiting = spawnWorker('worker-temporal-late', tlsEnv(`127.0.0.1:${port}`, { clientCert: workerCert }));
    await waiting.waitFor(/"attempt":2,"retryInMs"/);
    expect(waiting.output()).toMatch(/connecting to Temporal: Temporal is unavailable, retrying/);
    await startProxy({ mutual: true, port });
    await waiting.waitFor(/worker started/);
    expect(await waiting.stop()).toBe(0);

    const stopped = spawnWorker('worker-temporal-never', tlsEnv(`127.0.0.1:${await freePort()}`, { clientCert: workerCert }));
    await stopped.waitFor(/Temporal is unavailable, retrying/);
    expect(await stopped.stop()).toBe(0);
    expect(stopped.output()).toMatch(/worker stopped before it started/);
  });
});
