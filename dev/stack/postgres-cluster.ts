import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { appendFile, chmod, chown, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa, type Options } from 'execa';
import pg from 'pg';
import { findOnPath, isExecutableFile } from './paths.js';
import { canBind, freePort, isPortOpen, isProcessAlive, runOrThrow, tailFile, withLock } from './process.js';

export interface LocalCluster {
  host: '127.0.0.1';
  port: number;
  superuser: string;
  superuserPassword: string;
  /** The folder that holds everything of this cluster (PGDATA is `<dataDir>/data`). */
  dataDir: string;
  /** Server log (`log_statement = 'all'`), readable by the current user. */
  logFile: string;
  /** Superuser connection URL for `database`. */
  url(database: string): string;
  /** Set when the cluster serves TLS (`StartClusterOptions.tls`): the throwaway CA that signed its certificate. */
  tls?: ClusterTls;
  /** `pg_ctl stop -m fast`. */
  stop(): Promise<void>;
  /** Stop, then start again on the same port and data. */
  restart(): Promise<void>;
}

export interface StartClusterOptions {
  /** Folder for the cluster (created if missing). */
  dir: string;
  /** TCP port; default: the port remembered in `dir`, or a free one. */
  port?: number;
  /** Wipe `dir` first (stopping a cluster running there). */
  fresh?: boolean;
  /**
   * Serve TLS (`ssl = on`, optional for clients: password auth stays scram-sha-256 on every `host` line) with a
   * server certificate signed by a throwaway CA made for this cluster; also turns on `log_connections`, so the log
   * shows which sessions use TLS. Certificates are made once (kept across restarts); an existing cluster without
   * TLS gets them and is restarted. `subjectAltNames` defaults to `IP:127.0.0.1` and `DNS:localhost`.
   */
  tls?: boolean | { subjectAltNames?: string[] };
}

export interface ClusterTls {
  /** PEM file of the CA that signed the server certificate: what clients pass as `ca` to verify the server. */
  caCertFile: string;
  caCertPem: string;
  serverCertFile: string;
}

/** The names the local cluster's server certificate is valid for. */
export const DEFAULT_TLS_SUBJECT_ALT_NAMES: readonly string[] = ['IP:127.0.0.1', 'DNS:localhost'];

/** The control database created in every local cluster. */
export const CONTROL_DATABASE = 'rotator';
const SUPERUSER = 'postgres';
const READY_TIMEOUT_MS = 20_000;

interface RunAs {
  /** Prefix to run a command as the unprivileged user, e.g. `['runuser', '-u', 'nobody', '--']`. */
  prefix: string[];
  uid: number;
  gid: number;
  name: string;
}

/**
 * Starts (or reuses) a throwaway PostgreSQL cluster in `opts.dir`: scram-sha-256 for TCP, trust only on a
 * private unix socket inside the folder, statement log on, superuser `postgres` with a random password kept
 * (0600) in the folder. Creates the `rotator` control database if missing.
 */
export async function startLocalCluster(opts: StartClusterOptions): Promise<LocalCluster> {
  const binDir = findPgBinDir();
  const runAs = process.getuid?.() === 0 ? rootRunAs() : undefined;
  const clusterDir = await chooseClusterDir(path.resolve(opts.dir), runAs);
  await mkdir(path.dirname(clusterDir), { recursive: true });
  return withLock(`${clusterDir}.lock`, () => startInDir(clusterDir, binDir, runAs, opts), 5 * 60_000);
}

/** Stops the cluster in `dir` if one is running there (same folder choice as `startLocalCluster`). */
export async function stopLocalCluster(dir: string): Promise<void> {
  const runAs = process.getuid?.() === 0 ? rootRunAs() : undefined;
  const clusterDir = await chooseClusterDir(path.resolve(dir), runAs);
  if (!existsSync(clusterDir)) return;
  const binDir = findPgBinDir();
  await stopIfRunning(layoutOf(clusterDir), (name) => path.join(binDir, name), runAs);
}

/** Creates database `name` in the cluster if it does not exist yet. */
export async function createDatabase(cluster: Pick<LocalCluster, 'url'>, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: cluster.url('postgres') });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount) return;
    try {
      await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
    } catch (err) {
      if ((err as { code?: string }).code !== '42P04') throw err; // created concurrently
    }
  } finally {
    await client.end();
  }
}

// ---------------------------------------------------------------------------------------------------------

interface Layout {
  dir: string;
  pgdata: string;
  socketDir: string;
  pwFile: string;
  portFile: string;
  logFile: string;
  tlsDir: string;
}

function layoutOf(dir: string): Layout {
  // A unix socket path is limited to ~107 bytes; fall back to a short folder under the temp dir if needed.
  let socketDir = path.join(dir, 'sock');
  if (Buffer.byteLength(path.join(socketDir, '.s.PGSQL.65535')) > 100) {
    socketDir = path.join(os.tmpdir(), `pg-rotator-sock-${shortHash(dir)}`);
  }
  return {
    dir,
    pgdata: path.join(dir, 'data'),
    socketDir,
    pwFile: path.join(dir, 'superuser-password'),
    portFile: path.join(dir, 'port'),
    logFile: path.join(dir, 'postgres.log'),
    tlsDir: path.join(dir, 'tls'),
  };
}

async function startInDir(dir: string, binDir: string, runAs: RunAs | undefined, opts: StartClusterOptions): Promise<LocalCluster> {
  const layout = layoutOf(dir);
  const bin = (name: string): string => path.join(binDir, name);
  const exec = (what: string, name: string, args: string[]): Promise<string> => {
    const [cmd, ...prefixArgs] = runAs ? [...runAs.prefix, bin(name)] : [bin(name)];
    const spawnOpts: Options = { cwd: layout.dir, env: { ...process.env, LC_ALL: 'C', LANG: 'C' } };
    return runOrThrow(what, cmd as string, [...prefixArgs, ...args], spawnOpts);
  };

  if (opts.fresh) {
    await stopIfRunning(layout, bin, runAs);
    await rm(layout.dir, { recursive: true, force: true });
    await rm(layout.socketDir, { recursive: true, force: true });
  }

  await mkdir(layout.dir, { recursive: true, mode: 0o700 });
  await mkdir(layout.socketDir, { recursive: true, mode: 0o700 });
  await giveToRunAs(runAs, layout.dir, layout.socketDir);

  // Superuser password: generated once, kept 0600 next to the cluster so a restart reuses it.
  let password = existsSync(layout.pwFile) ? (await readFile(layout.pwFile, 'utf8')).trim() : '';
  const initialized = existsSync(path.join(layout.pgdata, 'PG_VERSION'));
  if (initialized && !password) {
    console.error(`[pg-rotator] ${layout.pgdata} exists but its superuser password file is gone: re-initialising`);
    await stopIfRunning(layout, bin, runAs);
  }
  if (!initialized || !password) {
    password = randomBytes(24).toString('base64url');
    await writeFile(layout.pwFile, `${password}\n`, { mode: 0o600 });
    await chmod(layout.pwFile, 0o600);
    await giveToRunAs(runAs, layout.pwFile);
    await rm(layout.pgdata, { recursive: true, force: true });
    await exec('initdb', 'initdb', [
      '-D', layout.pgdata,
      '-U', SUPERUSER,
      `--pwfile=${layout.pwFile}`,
      '--auth-local=trust',
      '--auth-host=scram-sha-256',
      '--encoding=UTF8',
      '--locale=C',
      '--no-sync',
      '--no-instructions',
    ]);
    await appendFile(layout.pgdata + '/postgresql.conf', serverSettings(layout));
  }
  const tlsChanged = opts.tls ? await ensureTls(layout, runAs, opts.tls === true ? {} : opts.tls) : false;

  // Reuse a cluster that is already running here (e.g. the dev command was restarted).
  let port: number | undefined = await runningPort(layout);
  if (port !== undefined && ((opts.port !== undefined && port !== opts.port) || tlsChanged)) {
    await stopIfRunning(layout, bin, runAs);
    port = undefined;
  }
  const reused = port !== undefined;
  if (port === undefined) {
    port = opts.port ?? (await rememberedFreePort(layout.portFile));
  }
  await writeFile(layout.portFile, `${port}\n`);

  const clusterPort = port;
  const url = (database: string): string =>
    `postgresql://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${clusterPort}/${encodeURIComponent(database)}`;

  const start = async (): Promise<void> => {
    await clearStalePidFile(layout);
    try {
      await exec('pg_ctl start', 'pg_ctl', ['start', '-D', layout.pgdata, '-l', layout.logFile, '-w', '-t', '60', '-o', `-p ${clusterPort}`]);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- ${layout.logFile} (tail) ---\n${await tailFile(layout.logFile, 30)}`);
    }
    await waitUntilReady(url('postgres'), layout.logFile);
  };
  const stop = async (): Promise<void> => {
    await stopIfRunning(layout, bin, runAs);
  };

  if (!reused) {
    if (!(await canBind(clusterPort))) {
      throw new Error(`Port ${clusterPort} on 127.0.0.1 is already in use; cannot start PostgreSQL in ${layout.dir}.`);
    }
    await start();
  } else {
    await waitUntilReady(url('postgres'), layout.logFile);
  }
  await createDatabase({ url }, CONTROL_DATABASE);
  const tls = await clusterTls(layout);

  return {
    host: '127.0.0.1',
    port: clusterPort,
    superuser: SUPERUSER,
    superuserPassword: password,
    dataDir: layout.dir,
    logFile: layout.logFile,
    url,
    ...(tls ? { tls } : {}),
    stop,
    restart: async () => {
      await stop();
      await start();
    },
  };
}

function serverSettings(layout: Layout): string {
  const quote = (s: string): string => `'${s.replace(/'/g, "''")}'`;
  return `
# --- pg-rotator local cluster ---
listen_addresses = '127.0.0.1'
unix_socket_directories = ${quote(layout.socketDir)}
unix_socket_permissions = 0700
password_encryption = 'scram-sha-256'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
logging_collector = off
log_destination = 'stderr'
log_statement = 'all'
log_line_prefix = '%m [%p] %q%u@%d '
log_timezone = 'UTC'
timezone = 'UTC'
`;
}

const TLS_MARKER = '# --- pg-rotator TLS ---';

function tlsFiles(layout: Layout): { caCertFile: string; serverCertFile: string; serverKeyFile: string } {
  return {
    caCertFile: path.join(layout.tlsDir, 'ca.crt'),
    serverCertFile: path.join(layout.tlsDir, 'server.crt'),
    serverKeyFile: path.join(layout.tlsDir, 'server.key'),
  };
}

async function tlsConfigured(layout: Layout): Promise<boolean> {
  const conf = path.join(layout.pgdata, 'postgresql.conf');
  return existsSync(conf) && (await readFile(conf, 'utf8')).includes(TLS_MARKER);
}

/** The cluster's TLS material, when its config turns TLS on and the files are there. */
async function clusterTls(layout: Layout): Promise<ClusterTls | undefined> {
  const files = tlsFiles(layout);
  if (!(await tlsConfigured(layout)) || !existsSync(files.caCertFile) || !existsSync(files.serverCertFile)) return undefined;
  return { caCertFile: files.caCertFile, caCertPem: await readFile(files.caCertFile, 'utf8'), serverCertFile: files.serverCertFile };
}

/**
 * Makes the certificates (a throwaway CA, whose key is deleted once it has signed the server certificate) and the
 * TLS settings, unless both are there. True when something changed (a running server must restart to use it).
 */
async function ensureTls(layout: Layout, runAs: RunAs | undefined, opts: { subjectAltNames?: string[] }): Promise<boolean> {
  const files = tlsFiles(layout);
  const configured = await tlsConfigured(layout);
  const haveFiles = [files.caCertFile, files.serverCertFile, files.serverKeyFile].every((f) => existsSync(f));
  if (configured && haveFiles) return false;
  if (!haveFiles) {
    await rm(layout.tlsDir, { recursive: true, force: true });
    await mkdir(layout.tlsDir, { recursive: true, mode: 0o700 });
    const work = path.join(layout.tlsDir, 'work');
    try {
      const ca = await createCertificateAuthority(work, `pg-rotator local CA ${shortHash(layout.dir)}`);
      const server = await issueCertificate(ca, work, {
        name: 'server',
        commonName: 'localhost',
        purpose: 'server',
        subjectAltNames: opts.subjectAltNames ?? [...DEFAULT_TLS_SUBJECT_ALT_NAMES],
      });
      await writeFile(files.caCertFile, ca.certPem, { mode: 0o644 });
      await writeFile(files.serverCertFile, await readFile(server.certFile), { mode: 0o644 });
      await writeFile(files.serverKeyFile, await readFile(server.keyFile), { mode: 0o600 });
    } finally {
      await rm(work, { recursive: true, force: true });
    }
    // PostgreSQL refuses a key file that is not owned by its user (or root) or that others can read.
    await chmod(files.serverKeyFile, 0o600);
    await giveToRunAs(runAs, layout.tlsDir, files.caCertFile, files.serverCertFile, files.serverKeyFile);
  }
  if (!configured) {
    const quote = (s: string): string => `'${s.replace(/'/g, "''")}'`;
    await appendFile(
      path.join(layout.pgdata, 'postgresql.conf'),
      `
${TLS_MARKER}
ssl = on
ssl_cert_file = ${quote(files.serverCertFile)}
ssl_key_file = ${quote(files.serverKeyFile)}
ssl_min_protocol_version = 'TLSv1.2'
log_connections = on
`,
    );
  }
  return true;
}

export interface CertificateAuthority {
  certFile: string;
  keyFile: string;
  certPem: string;
}

function requireOpenssl(): string {
  const openssl = findOnPath('openssl') ?? ['/usr/bin/openssl', '/usr/local/bin/openssl'].find(isExecutableFile);
  if (!openssl) throw new Error('TLS for the local cluster needs the openssl command line tool (e.g. apt-get install openssl).');
  return openssl;
}

/** A config file for `openssl req` that names the subject itself, so the system's openssl.cnf plays no part. */
function opensslConfig(commonName: string, extensionSection: string, extensions: string[]): string {
  if (!/^[A-Za-z0-9 ._-]+$/.test(commonName)) throw new Error(`unsupported certificate common name: ${commonName}`);
  return ['[req]', 'distinguished_name = dn', 'prompt = no', '[dn]', `CN = ${commonName}`, `[${extensionSection}]`, ...extensions, ''].join('\n');
}

/** A self-signed CA (EC P-256 key, `CA:TRUE`) in `dir/ca.crt` and `dir/ca.key`, made with the openssl CLI. */
export async function createCertificateAuthority(dir: string, commonName: string, days = 3650): Promise<CertificateAuthority> {
  const openssl = requireOpenssl();
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const certFile = path.join(dir, 'ca.crt');
  const keyFile = path.join(dir, 'ca.key');
  const config = path.join(dir, 'ca.cnf');
  await writeFile(
    config,
    opensslConfig(commonName, 'v3_ca', ['basicConstraints = critical, CA:TRUE', 'keyUsage = critical, keyCertSign, cRLSign', 'subjectKeyIdentifier = hash']),
  );
  await runOrThrow('openssl req (CA certificate)', openssl, [
    'req', '-x509', '-config', config, '-extensions', 'v3_ca',
    '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', keyFile, '-out', certFile, '-days', String(days),
  ], { cwd: dir });
  await chmod(keyFile, 0o600);
  return { certFile, keyFile, certPem: await readFile(certFile, 'utf8') };
}

/**
 * A certificate (EC P-256 key) signed by `ca`: `dir/<name>.crt` and `dir/<name>.key` (0600). A server certificate
 * (`serverAuth`) is valid for `subjectAltNames` (e.g. `IP:127.0.0.1`, `DNS:localhost`); a client certificate
 * (`clientAuth`) names its holder by `commonName`.
 */
export async function issueCertificate(
  ca: CertificateAuthority,
  dir: string,
  opts: { name: string; commonName: string; purpose: 'server' | 'client'; subjectAltNames?: string[]; days?: number },
): Promise<{ certFile: string; keyFile: string }> {
  const openssl = requireOpenssl();
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const certFile = path.join(dir, `${opts.name}.crt`);
  const keyFile = path.join(dir, `${opts.name}.key`);
  const csrFile = path.join(dir, `${opts.name}.csr`);
  const config = path.join(dir, `${opts.name}.cnf`);
  await writeFile(
    config,
    opensslConfig(opts.commonName, 'v3_leaf', [
      'basicConstraints = critical, CA:FALSE',
      'keyUsage = critical, digitalSignature, keyEncipherment',
      `extendedKeyUsage = ${opts.purpose === 'server' ? 'serverAuth' : 'clientAuth'}`,
      ...(opts.subjectAltNames?.length ? [`subjectAltName = ${opts.subjectAltNames.join(', ')}`] : []),
      'subjectKeyIdentifier = hash',
      'authorityKeyIdentifier = keyid',
    ]),
  );
  await runOrThrow(`openssl req (${opts.purpose} key and request)`, openssl, [
    'req', '-new', '-config', config, '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', keyFile, '-out', csrFile,
  ], { cwd: dir });
  await chmod(keyFile, 0o600);
  await runOrThrow(`openssl x509 (sign ${opts.purpose} certificate)`, openssl, [
    'x509', '-req', '-in', csrFile, '-CA', ca.certFile, '-CAkey', ca.keyFile,
    '-set_serial', `0x${randomBytes(16).toString('hex')}`, '-days', String(opts.days ?? 825),
    '-extfile', config, '-extensions', 'v3_leaf', '-out', certFile,
  ], { cwd: dir });
  await rm(csrFile, { force: true });
  return { certFile, keyFile };
}

/** The port of a postmaster running in this folder and answering on TCP, or undefined. */
async function runningPort(layout: Layout): Promise<number | undefined> {
  const pidFile = path.join(layout.pgdata, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const lines = readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !isProcessAlive(pid) || !Number.isInteger(port) || port <= 0) return undefined;
  for (let i = 0; i < 20; i++) {
    if (await isPortOpen(port)) return port;
    await sleep(250);
  }
  return undefined;
}

/** Removes postmaster.pid when its process is gone (a crashed or killed cluster; pid reuse could confuse pg_ctl). */
async function clearStalePidFile(layout: Layout): Promise<void> {
  const pidFile = path.join(layout.pgdata, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (Number.isInteger(pid) && pid > 0 && isProcessAlive(pid)) return;
  await rm(pidFile, { force: true });
}

async function stopIfRunning(layout: Layout, bin: (name: string) => string, runAs: RunAs | undefined): Promise<void> {
  const pidFile = path.join(layout.pgdata, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isProcessAlive(pid)) return;
  const [cmd, ...prefixArgs] = runAs ? [...runAs.prefix, bin('pg_ctl')] : [bin('pg_ctl')];
  const result = await execa(cmd as string, [...prefixArgs, 'stop', '-D', layout.pgdata, '-m', 'fast', '-w', '-t', '60'], {
    cwd: existsSync(layout.dir) ? layout.dir : '/',
    stdin: 'ignore',
    all: true,
    reject: false,
  });
  if (result.failed && isProcessAlive(pid)) {
    throw new Error(`pg_ctl stop failed for ${layout.pgdata}:\n${String(result.all ?? '').trim()}`);
  }
}

/** Hand-written wait: ready means a password login succeeds, which a TCP check (wait-on) passes long before. */
async function waitUntilReady(connectionString: string, logFile: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastError: unknown;
  while (Date.now() < deadline) {
    const client = new pg.Client({ connectionString, connectionTimeoutMillis: 2_000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      await client.end();
      return;
    } catch (err) {
      lastError = err;
      await client.end().catch(() => undefined);
      if ((err as { code?: string }).code === '28P01') {
        throw new Error(`Local PostgreSQL rejected the stored superuser password (${(err as Error).message}).`);
      }
      await sleep(200);
    }
  }
  throw new Error(
    `PostgreSQL did not accept connections within ${READY_TIMEOUT_MS / 1000} s: ${(lastError as Error)?.message}\n` +
      `--- ${logFile} (tail) ---\n${await tailFile(logFile, 30)}`,
  );
}

async function rememberedFreePort(portFile: string): Promise<number> {
  if (existsSync(portFile)) {
    const remembered = Number((await readFile(portFile, 'utf8')).trim());
    if (Number.isInteger(remembered) && remembered > 0 && (await canBind(remembered))) return remembered;
  }
  return freePort();
}

/**
 * PostgreSQL server binaries: `PG_BIN_DIR`, else the newest `/usr/lib/postgresql/<v>/bin` (Debian/Ubuntu),
 * else `pg_config --bindir`, else the folder of `initdb` on PATH.
 */
export function findPgBinDir(): string {
  const hasServer = (dir: string): boolean => isExecutableFile(path.join(dir, 'initdb')) && isExecutableFile(path.join(dir, 'pg_ctl'));
  const fromEnv = process.env.PG_BIN_DIR;
  if (fromEnv) {
    if (!hasServer(fromEnv)) throw new Error(`PG_BIN_DIR=${fromEnv} does not contain initdb and pg_ctl.`);
    return path.resolve(fromEnv);
  }
  const debianRoot = '/usr/lib/postgresql';
  if (existsSync(debianRoot)) {
    const versions = readdirSync(debianRoot)
      .filter((v) => /^\d+(\.\d+)?$/.test(v) && hasServer(path.join(debianRoot, v, 'bin')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return path.join(debianRoot, versions[0], 'bin');
  }
  const pgConfig = findOnPath('pg_config');
  if (pgConfig) {
    try {
      const dir = execFileSync(pgConfig, ['--bindir'], { encoding: 'utf8' }).trim();
      if (hasServer(dir)) return dir;
    } catch {
      // fall through
    }
  }
  const initdb = findOnPath('initdb');
  if (initdb && hasServer(path.dirname(initdb))) return path.dirname(initdb);
  throw new Error(
    'PostgreSQL server binaries (initdb, pg_ctl) not found: install PostgreSQL (e.g. apt-get install postgresql), ' +
      'set PG_BIN_DIR, or set DATABASE_URL to use an existing server.',
  );
}

/** initdb and postgres refuse to run as root: run them as `nobody`. */
function rootRunAs(): RunAs {
  const entry = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .map((line) => line.split(':'))
    .find((fields) => fields[0] === 'nobody');
  if (!entry) throw new Error('Running as root, but there is no user "nobody" to run PostgreSQL as.');
  const uid = Number(entry[2]);
  const gid = Number(entry[3]);
  const runuser = findOnPath('runuser') ?? ['/usr/sbin/runuser', '/sbin/runuser'].find(isExecutableFile);
  if (runuser) return { prefix: [runuser, '-u', 'nobody', '--'], uid, gid, name: 'nobody' };
  const setpriv = findOnPath('setpriv') ?? ['/usr/bin/setpriv', '/bin/setpriv'].find(isExecutableFile);
  if (setpriv) return { prefix: [setpriv, `--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', '--'], uid, gid, name: 'nobody' };
  throw new Error('Running as root, but neither runuser nor setpriv is available to run PostgreSQL as "nobody".');
}

async function giveToRunAs(runAs: RunAs | undefined, ...files: string[]): Promise<void> {
  if (!runAs) return;
  for (const file of files) await chown(file, runAs.uid, runAs.gid);
}

/**
 * The folder to use: `wanted`, unless we run as root and `nobody` cannot reach its parent (e.g. a checkout
 * under a 0700 home). Then a folder under the temp dir named after a hash of `wanted`.
 */
async function chooseClusterDir(wanted: string, runAs: RunAs | undefined): Promise<string> {
  if (!runAs) return wanted;
  const parent = path.dirname(wanted);
  await mkdir(parent, { recursive: true });
  const probe = await execa(runAs.prefix[0] as string, [...runAs.prefix.slice(1), 'test', '-x', parent], { cwd: '/', stdin: 'ignore', reject: false });
  if (!probe.failed) return wanted;
  const fallback = path.join(os.tmpdir(), `pg-rotator-${shortHash(wanted)}`);
  console.error(`[pg-rotator] user ${runAs.name} cannot reach ${parent}; PostgreSQL cluster goes to ${fallback} instead`);
  return fallback;
}

function shortHash(s: string): string {
  return createHash('sha256').update(s).digest('hex').slice(0, 10);
}
