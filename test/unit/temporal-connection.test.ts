// How TEMPORAL_* variables and temporal.toml profiles become connection options (through @temporalio/envconfig),
// what a bad setting says, and how connect errors are sorted into "wait" and "fix this". The connections
// themselves are tested for real in test/integration/temporal-tls.test.ts.
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { createCertificateAuthority, issueCertificate } from '../../dev/stack/postgres-cluster.js';
import { loadConfig } from '../../src/config.js';
import { classifyConnectError, loadTemporalSettings, retryWhileUnavailable, type TemporalSettings } from '../../src/temporal-connection.js';

const API_KEY = `tk_${randomBytes(24).toString('hex')}`;
let dir: string;
let files: { ca: string; cert: string; key: string; otherKey: string };

beforeAll(async () => {
  dir = path.join(inject('testDataDir'), `temporal-connection-unit-${randomBytes(4).toString('hex')}`);
  const ca = await createCertificateAuthority(path.join(dir, 'ca'), 'unit test CA');
  const client = await issueCertificate(ca, path.join(dir, 'certs'), { name: 'client', commonName: 'worker', purpose: 'client' });
  const other = await issueCertificate(ca, path.join(dir, 'certs'), { name: 'other', commonName: 'other', purpose: 'client' });
  files = { ca: ca.certFile, cert: client.certFile, key: client.keyFile, otherKey: other.keyFile };
});

async function tomlFile(text: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `temporal-${randomBytes(4).toString('hex')}.toml`);
  await writeFile(file, text);
  return file;
}

describe('resolving the Temporal connection', () => {
  it('with nothing set: the local dev server, namespace default, no TLS', () => {
    const s = loadTemporalSettings({});
    expect(s.connection).toEqual({ address: '127.0.0.1:7233', tls: undefined, apiKey: undefined, metadata: undefined });
    expect(s.namespace).toBe('default');
    expect(s.summary).toEqual({ address: '127.0.0.1:7233', namespace: 'default', tls: 'off', apiKey: false, profile: undefined });
  });

  it('TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE / TEMPORAL_TLS_* become the options, files read and checked', () => {
    const s = loadTemporalSettings({
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
      TEMPORAL_NAMESPACE: 'payments',
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: files.ca,
      TEMPORAL_TLS_CLIENT_CERT_PATH: files.cert,
      TEMPORAL_TLS_CLIENT_KEY_PATH: files.key,
      TEMPORAL_TLS_SERVER_NAME: 'temporal.example.com',
    });
    expect(s.namespace).toBe('payments');
    expect(s.connection.address).toBe('temporal.internal:7233');
    const tls = s.connection.tls;
    if (typeof tls !== 'object') throw new Error(`expected a TLS config, got ${String(tls)}`);
    expect(tls.serverNameOverride).toBe('temporal.example.com');
    expect(Buffer.from(tls.serverRootCACertificate!).toString()).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(Buffer.from(tls.clientCertPair!.crt).toString()).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(Buffer.from(tls.clientCertPair!.key).toString()).toMatch(/PRIVATE KEY-----/);
    expect(s.summary).toEqual({ address: 'temporal.internal:7233', namespace: 'payments', tls: 'mutual', apiKey: false, profile: undefined });
  });

  it('TEMPORAL_API_KEY is sent and turns TLS on (the SDK rule); TEMPORAL_TLS=false still turns it off; the key is in no summary', () => {
    const s = loadTemporalSettings({ TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233', TEMPORAL_API_KEY: API_KEY });
    expect(s.connection.apiKey).toBe(API_KEY);
    expect(s.connection.tls).toBe(true);
    expect(s.summary).toMatchObject({ tls: 'on', apiKey: true });
    expect(JSON.stringify(s.summary)).not.toContain(API_KEY);
    expect(loadTemporalSettings({ TEMPORAL_API_KEY: API_KEY, TEMPORAL_TLS: 'false' }).connection.tls).toBe(false);
    expect(loadTemporalSettings({ TEMPORAL_TLS: 'true' }).connection.tls).toMatchObject({ clientCertPair: undefined, serverRootCACertificate: undefined });
  });

  it('a temporal.toml profile chosen by TEMPORAL_PROFILE is used; TEMPORAL_* variables win over it', async () => {
    const file = await tomlFile(
      `[profile.default]\naddress = "default.example:7233"\n\n[profile.prod]\naddress = "prod.example:7233"\nnamespace = "prod"\napi_key = "${API_KEY}"\n` +
        `[profile.prod.tls]\nserver_ca_cert_path = "${files.ca}"\nserver_name = "prod.example"\n[profile.prod.grpc_meta]\nx-team = "payments"\n`,
    );
    const prod = loadTemporalSettings({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'prod' });
    expect(prod.summary).toEqual({ address: 'prod.example:7233', namespace: 'prod', tls: 'on', apiKey: true, profile: 'prod' });
    expect(prod.connection.apiKey).toBe(API_KEY);
    expect(prod.connection.metadata).toEqual({ 'x-team': 'payments' });
    expect(prod.connection.tls).toMatchObject({ serverNameOverride: 'prod.example' });
    expect(loadTemporalSettings({ TEMPORAL_CONFIG_FILE: file }).summary).toMatchObject({ address: 'default.example:7233', profile: 'default' });
    const overridden = loadTemporalSettings({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'prod', TEMPORAL_NAMESPACE: 'staging' });
    expect(overridden.summary).toMatchObject({ address: 'prod.example:7233', namespace: 'staging' });
  });

  it('the default temporal.toml is the one the Temporal CLI uses ($XDG_CONFIG_HOME/temporalio/temporal.toml)', async () => {
    const home = path.join(dir, 'xdg');
    await mkdir(path.join(home, 'temporalio'), { recursive: true });
    await writeFile(path.join(home, 'temporalio', 'temporal.toml'), '[profile.default]\naddress = "from-cli-config:7233"\n');
    expect(loadTemporalSettings({ XDG_CONFIG_HOME: home }).summary).toMatchObject({ address: 'from-cli-config:7233', profile: 'default' });
  });
});

describe('bad Temporal settings fail at start, naming the variable (or profile key) and the rule', () => {
  const fails = (env: Record<string, string>) => {
    try {
      loadTemporalSettings(env);
    } catch (err) {
      return (err as Error).message;
    }
    throw new Error('expected the settings to be refused');
  };

  it('an unreadable certificate file names its variable', () => {
    const missing = path.join(dir, 'nope.crt');
    expect(fails({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: missing })).toBe(
      `invalid Temporal connection settings: TEMPORAL_TLS_SERVER_CA_CERT_PATH: cannot read ${missing} (ENOENT)`,
    );
  });

  it('a client certificate without its key names both variables', () => {
    expect(fails({ TEMPORAL_TLS_CLIENT_CERT_PATH: files.cert })).toMatch(
      /: TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH: a client certificate needs its private key/,
    );
    expect(fails({ TEMPORAL_TLS_CLIENT_KEY_PATH: files.key })).toMatch(/a client certificate needs its private key/);
  });

  it('a key that is not the certificate’s, or not PEM at all, is refused without printing it', async () => {
    expect(fails({ TEMPORAL_TLS_CLIENT_CERT_PATH: files.cert, TEMPORAL_TLS_CLIENT_KEY_PATH: files.otherKey })).toMatch(
      /TEMPORAL_TLS_CLIENT_KEY_PATH: is not the private key of the certificate in TEMPORAL_TLS_CLIENT_CERT_PATH/,
    );
    const garbage = `not-a-key-${randomBytes(8).toString('hex')}`;
    const message = fails({ TEMPORAL_TLS_CLIENT_CERT_PATH: files.cert, TEMPORAL_TLS_CLIENT_KEY_DATA: garbage });
    expect(message).toMatch(/TEMPORAL_TLS_CLIENT_KEY_DATA: must be a PEM private key$/);
    expect(message).not.toContain(garbage);
    expect(fails({ TEMPORAL_TLS_SERVER_CA_CERT_DATA: 'hello' })).toMatch(/TEMPORAL_TLS_SERVER_CA_CERT_DATA: must be a PEM certificate$/);
  });

  it('config file and profile problems name TEMPORAL_CONFIG_FILE / TEMPORAL_PROFILE / the profile key', async () => {
    const missing = path.join(dir, 'missing.toml');
    expect(fails({ TEMPORAL_CONFIG_FILE: missing })).toBe(`invalid Temporal connection settings: TEMPORAL_CONFIG_FILE: ${missing} does not exist`);
    const file = await tomlFile('[profile.default]\naddress = "http://temporal:7233"\n');
    expect(fails({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'prod' })).toBe(`invalid Temporal connection settings: TEMPORAL_PROFILE: profile "prod" is not in ${file}`);
    expect(fails({ TEMPORAL_CONFIG_FILE: file })).toBe(
      `invalid Temporal connection settings: address of profile "default" in ${file}: must be host:port (e.g. temporal.example.com:7233), without a scheme`,
    );
    const broken = await tomlFile(`[profile.default]\napi_key = "${API_KEY}"\naddress = = "x"\n`);
    const message = fails({ TEMPORAL_CONFIG_FILE: broken });
    expect(message).toMatch(new RegExp(`^invalid Temporal connection settings: TEMPORAL_CONFIG_FILE \\(${broken}\\): `));
    expect(message).not.toContain(API_KEY);
  });

  it('loadConfig checks the variables’ shapes first', () => {
    const configFails = (env: Record<string, string>) => expect(() => loadConfig(env));
    configFails({ TEMPORAL_TLS: 'yes' }).toThrow(/TEMPORAL_TLS: must be true, false, 1 or 0/);
    configFails({ TEMPORAL_ADDRESS: 'https://temporal:7233' }).toThrow(/TEMPORAL_ADDRESS: must be host:port/);
    configFails({ TEMPORAL_TLS_DISABLE_HOST_VERIFICATION: 'true' }).toThrow(/TEMPORAL_TLS_DISABLE_HOST_VERIFICATION: is not supported .*TEMPORAL_TLS_SERVER_NAME/);
    configFails({ TEMPORAL_API_KEY: '' }).toThrow(/TEMPORAL_API_KEY: must not be empty/);
    expect(loadConfig({}).temporal.summary).toMatchObject({ address: '127.0.0.1:7233', namespace: 'default', tls: 'off' });
  });
});

describe('connect errors: wait while unavailable, fail fast on what waiting cannot fix', () => {
  const settings: TemporalSettings = loadTemporalSettings({ TEMPORAL_ADDRESS: 'temporal.internal:7233', TEMPORAL_API_KEY: API_KEY });
  // Messages as the SDK's Rust core and grpc-js produce them (recorded from real connections).
  const refused = 'tonic::transport::Error(Transport, ConnectError(ConnectError("tcp connect error", 127.0.0.1:1, Os { code: 111, kind: ConnectionRefused, message: "Connection refused" })))';
  const namespaceDown = 'Namespace default was not found or otherwise could not be described: Status { code: Unavailable, message: "tcp connect error" }';
  const unknownCa = 'tonic::transport::Error(Transport, ConnectError(Custom { kind: InvalidData, error: InvalidCertificate(UnknownIssuer) }))';
  const certRequired = 'Failed to call GetSystemInfo: code: \'Unknown error\', message: "transport error", source: tonic::transport::Error(Transport, hyper::Error(Io, Custom { kind: InvalidData, error: "received fatal alert: CertificateRequired" }))';
  const noNamespace = 'Namespace nope was not found or otherwise could not be described: Status { code: NotFound, message: "Namespace nope is not found." }';

  it('sorts them', () => {
    expect(classifyConnectError(new Error(refused), settings)).toMatchObject({ retry: true });
    expect(classifyConnectError(new Error(namespaceDown), settings)).toMatchObject({ retry: true });
    expect(classifyConnectError(new Error(unknownCa), settings)).toMatchObject({ retry: false, message: expect.stringMatching(/not signed by a CA this process trusts: set TEMPORAL_TLS_SERVER_CA_CERT_PATH/) });
    expect(classifyConnectError(new Error(certRequired), settings)).toMatchObject({ retry: false, message: expect.stringMatching(/requires a client certificate/) });
    expect(classifyConnectError(new Error(noNamespace), settings)).toMatchObject({ retry: false, message: expect.stringMatching(/namespace "default" does not exist there/) });
    expect(classifyConnectError(new Error('something new'), settings)).toMatchObject({ retry: false });
  });

  it('never repeats the API key, even when the error text carries it', () => {
    const problem = classifyConnectError(new Error(`Unauthenticated: bad key ${API_KEY}`), settings);
    expect(problem).toMatchObject({ retry: false });
    expect(JSON.stringify(problem)).not.toContain(API_KEY);
    expect(JSON.stringify(classifyConnectError(new Error(`${refused} ${API_KEY}`), settings))).not.toContain(API_KEY);
  });

  it('retries while unavailable (reporting each retry), stops at once otherwise, and on abort', async () => {
    const retries: number[] = [];
    let calls = 0;
    const result = await retryWhileUnavailable(
      'connecting',
      settings,
      async () => {
        if (++calls < 4) throw new Error(refused);
        return 'connected';
      },
      { onRetry: ({ attempt }) => retries.push(attempt), initialDelayMs: 1, maxDelayMs: 4 },
    );
    expect(result).toBe('connected');
    expect(retries).toEqual([1, 2, 3]);

    calls = 0;
    await expect(
      retryWhileUnavailable('connecting', settings, async () => {
        calls++;
        throw new Error(unknownCa);
      }, { onRetry: () => {}, initialDelayMs: 1 }),
    ).rejects.toThrow(/^connecting: Temporal at temporal.internal:7233: the server's certificate is not signed/);
    expect(calls).toBe(1);

    const stop = new AbortController();
    const pending = retryWhileUnavailable('connecting', settings, () => Promise.reject(new Error(refused)), { onRetry: () => stop.abort(), signal: stop.signal });
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });
});
