import { existsSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { type ClientConfigProfile, type ConfigDataSource, loadClientConfigProfile, toClientOptions } from '@temporalio/envconfig';
import type { TLSConfig } from '@temporalio/client';
import { checkKeyPair, parseCertificate, readSettingFile, SettingError } from './pem.js';

/** Where Temporal is when neither the environment nor a temporal.toml profile says (the local dev server). */
const DEFAULT_TEMPORAL_ADDRESS = '127.0.0.1:7233';
const DEFAULT_TEMPORAL_NAMESPACE = 'default';

/** `host:port`, `[v6]:port`: what the SDK dials (no scheme, no path). */
export const HOST_PORT = /^(?:\[[0-9A-Fa-f:.]+\]|[^\s:/[\]]+):\d{1,5}$/;
export const HOST_PORT_RULE = 'must be host:port (e.g. temporal.example.com:7233), without a scheme';

/** What `NativeConnection.connect` and the client's `Connection` both take. */
export interface TemporalConnectionOptions {
  address: string;
  tls: TLSConfig | boolean | undefined;
  apiKey: string | undefined;
  metadata: Record<string, string> | undefined;
}

/** Safe to log: where and how this process connects; never the API key or a private key. */
export interface TemporalConnectionSummary {
  address: string;
  namespace: string;
  tls: 'off' | 'on' | 'mutual';
  apiKey: boolean;
  /** The temporal.toml profile in use (TEMPORAL_PROFILE, else "default" when the file has it); undefined: none. */
  profile: string | undefined;
}

export interface TemporalSettings {
  connection: TemporalConnectionOptions;
  namespace: string;
  summary: TemporalConnectionSummary;
}

type Env = Record<string, string | undefined>;

/** The three TLS inputs that may come from files, with the names the Temporal CLI gives them. */
const TLS_SOURCES = {
  clientCert: { env: 'TEMPORAL_TLS_CLIENT_CERT', toml: 'client_cert' },
  clientKey: { env: 'TEMPORAL_TLS_CLIENT_KEY', toml: 'client_key' },
  serverCACert: { env: 'TEMPORAL_TLS_SERVER_CA_CERT', toml: 'server_ca_cert' },
} as const;
type TlsSource = keyof typeof TLS_SOURCES;

const PREFIX = 'invalid Temporal connection settings';

/**
 * Resolves the Temporal connection as the Temporal CLI and SDKs do (`@temporalio/envconfig`): a profile of
 * temporal.toml (TEMPORAL_CONFIG_FILE, else the user's config folder; TEMPORAL_PROFILE, else "default"), then
 * TEMPORAL_* variables over it. Certificate and key files are read and checked here, so a bad one stops the
 * process at start, named by the variable (or profile key) that pointed at it.
 */
export function loadTemporalSettings(env: Env): TemporalSettings {
  try {
    return resolve(env);
  } catch (err) {
    if (err instanceof SettingError) throw new Error(`${PREFIX}: ${err.message}`);
    throw err;
  }
}

function resolve(env: Env): TemporalSettings {
  const vars = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
  const configFile = vars.TEMPORAL_CONFIG_FILE;
  if (configFile !== undefined && !existsSync(configFile)) throw new SettingError('TEMPORAL_CONFIG_FILE', `${configFile} does not exist`);
  const profileName = vars.TEMPORAL_PROFILE ?? 'default';
  const fileLabel = configFile ?? 'temporal.toml';
  const load = (disableEnv: boolean): ClientConfigProfile => {
    try {
      return loadClientConfigProfile({ overrideEnvVars: vars, disableEnv });
    } catch (err) {
      // First line only: a TOML parse error quotes the file, which may hold an api_key.
      const reason = (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
      if (/^Profile '.*' not found/.test(reason)) throw new SettingError('TEMPORAL_PROFILE', `profile "${profileName}" is not in ${fileLabel}`);
      throw new SettingError(configFile ? `TEMPORAL_CONFIG_FILE (${configFile})` : 'temporal.toml', reason);
    }
  };
  const fromFile = load(true);
  const profile = load(false);
  /** The variable that set a value, else the profile key it came from. */
  const nameOf = (envName: string, tomlKey: string) => (vars[envName] !== undefined ? envName : `${tomlKey} of profile "${profileName}" in ${fileLabel}`);

  const address = profile.address ?? DEFAULT_TEMPORAL_ADDRESS;
  if (!HOST_PORT.test(address)) throw new SettingError(nameOf('TEMPORAL_ADDRESS', 'address'), HOST_PORT_RULE);
  const namespace = profile.namespace ?? DEFAULT_TEMPORAL_NAMESPACE;
  if (profile.apiKey === '') throw new SettingError(nameOf('TEMPORAL_API_KEY', 'api_key'), 'must not be empty');

  const tls = profile.tls === undefined || profile.tls.disabled ? profile.tls : checkedTls(profile.tls, nameOf);
  const options = toClientOptions({ ...profile, address, namespace, tls });
  const connection: TemporalConnectionOptions = {
    address,
    tls: options.connectionOptions.tls ?? undefined,
    apiKey: options.connectionOptions.apiKey,
    metadata: options.connectionOptions.metadata as Record<string, string> | undefined,
  };
  const tlsOn = connection.tls !== undefined && connection.tls !== false;
  return {
    connection,
    namespace,
    summary: {
      address,
      namespace,
      tls: !tlsOn ? 'off' : tls?.clientCert ? 'mutual' : 'on',
      apiKey: connection.apiKey !== undefined,
      profile: Object.keys(fromFile).length > 0 || vars.TEMPORAL_PROFILE ? profileName : undefined,
    },
  };
}

/** The TLS settings with every file read into memory and checked: PEM that parses, a key that fits its certificate. */
function checkedTls(tls: NonNullable<ClientConfigProfile['tls']>, nameOf: (envName: string, tomlKey: string) => string) {
  const sourceName = (which: TlsSource) => {
    const { env, toml } = TLS_SOURCES[which];
    const source = tls[which];
    if (source === undefined) return `${env}_PATH`; // not set anywhere: the variable people usually set
    const suffix = 'path' in source ? 'path' : 'data';
    return nameOf(`${env}_${suffix.toUpperCase()}`, `tls.${toml}_${suffix}`);
  };
  const read = (which: TlsSource): { data: Uint8Array } | undefined => {
    const source: ConfigDataSource | undefined = tls[which];
    if (source === undefined) return undefined;
    if ('path' in source) return { data: readSettingFile(sourceName(which), source.path) };
    return { data: typeof source.data === 'string' ? Buffer.from(source.data) : source.data };
  };
  const clientCert = read('clientCert');
  const clientKey = read('clientKey');
  const serverCACert = read('serverCACert');
  if ((clientCert === undefined) !== (clientKey === undefined)) {
    throw new SettingError(
      `${sourceName('clientCert')} and ${sourceName('clientKey')}`,
      'a client certificate needs its private key: set both (…_PATH or …_DATA) or neither',
    );
  }
  if (serverCACert) parseCertificate(sourceName('serverCACert'), serverCACert.data);
  if (clientCert && clientKey) checkKeyPair({ setting: sourceName('clientCert'), pem: clientCert.data }, { setting: sourceName('clientKey'), pem: clientKey.data });
  if (tls.serverName === '') throw new SettingError(nameOf('TEMPORAL_TLS_SERVER_NAME', 'tls.server_name'), 'must not be empty');
  return { ...tls, clientCert, clientKey, serverCACert };
}

/** Whether waiting can fix a failed connect or namespace check: the server is down or restarting, not refusing us. */
export type ConnectProblem = { retry: true; reason: string } | { retry: false; message: string };

/**
 * Sorts a connect error (Rust core's transport/gRPC text, or grpc-js's) into "unavailable, wait" or a clear
 * message saying what to fix. Unknown errors are not retried: a start that hides a real problem helps nobody.
 */
export function classifyConnectError(err: unknown, settings: TemporalSettings): ConnectProblem {
  const raw = err instanceof Error ? err.message : String(err);
  const text = settings.connection.apiKey ? raw.split(settings.connection.apiKey).join('[redacted]') : raw;
  const at = `Temporal at ${settings.summary.address}`;
  const fatal = (what: string): ConnectProblem => ({ retry: false, message: `${at}: ${what} (${text.slice(0, 300)})` });
  if (/UnknownIssuer|self[- ]signed certificate|unable to (?:verify|get local issuer)/i.test(text)) {
    return fatal("the server's certificate is not signed by a CA this process trusts: set TEMPORAL_TLS_SERVER_CA_CERT_PATH to the CA that signed it");
  }
  if (/NotValidForName|Hostname\/IP does not match|altnames/i.test(text)) {
    return fatal("the server's certificate is not valid for the name dialled: set TEMPORAL_TLS_SERVER_NAME to a name in the certificate");
  }
  if (/InvalidCertificate|certificate has expired|certificate is not yet valid/i.test(text)) return fatal("the server's certificate was refused");
  if (/CertificateRequired|certificate required/i.test(text)) {
    return fatal('the server requires a client certificate: set TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH');
  }
  if (/BadCertificate|UnknownCA|CertificateUnknown|CertificateRevoked|CertificateExpired|AccessDenied|alert (?:bad certificate|unknown ca|certificate unknown)/i.test(text)) {
    return fatal('the server refused the client certificate (is it signed by the CA the server trusts?)');
  }
  if (/InvalidContentType|InvalidMessage|wrong version number|packet length too long|CorruptMessage/i.test(text)) {
    return fatal('the TLS handshake failed: is TLS on at this address? (TEMPORAL_TLS, TEMPORAL_TLS_* and an API key turn it on)');
  }
  if (/code: NotFound|NOT_FOUND/.test(text)) return fatal(`namespace "${settings.namespace}" does not exist there (TEMPORAL_NAMESPACE)`);
  if (/Unauthenticated|UNAUTHENTICATED|PermissionDenied|PERMISSION_DENIED/.test(text)) {
    return fatal('the server refused this client (check TEMPORAL_API_KEY, the client certificate and TEMPORAL_NAMESPACE)');
  }
  if (/Unavailable|UNAVAILABLE|tcp connect error|Connection(?:Refused|Reset|Aborted)|connection (?:refused|reset|closed)|BrokenPipe|broken pipe|timed out|TimedOut|deadline|dns error|ECONNREFUSED|ECONNRESET/i.test(text)) {
    // A TLS server hangs up on a plain client just as a restarting server does: say so, it cannot be told apart.
    const hint = settings.summary.tls === 'off' && /Reset|BrokenPipe|broken pipe/i.test(text) ? ' (if the server expects TLS: TEMPORAL_TLS=true)' : '';
    return { retry: true, reason: `${text.slice(0, 300)}${hint}` };
  }
  return fatal('cannot connect');
}

export interface RetryOptions {
  /** Called before each wait: what failed and how long until the next attempt (no secrets in `reason`). */
  onRetry(info: { what: string; attempt: number; retryInMs: number; reason: string }): void;
  /** Stops waiting (e.g. on SIGTERM): the pending attempt's error, or an AbortError. */
  signal?: AbortSignal;
  initialDelayMs?: number;
  maxDelayMs?: number;
}

/**
 * Runs `attempt` until it succeeds, waiting with capped exponential backoff while Temporal is unavailable (a
 * restart, a rolling upgrade, a worker started before the server); fails at once with a clear message on
 * anything waiting cannot fix.
 */
export async function retryWhileUnavailable<T>(what: string, settings: TemporalSettings, attempt: () => Promise<T>, opts: RetryOptions): Promise<T> {
  const initial = opts.initialDelayMs ?? 1_000;
  const max = opts.maxDelayMs ?? 30_000;
  for (let n = 1; ; n++) {
    opts.signal?.throwIfAborted();
    try {
      return await attempt();
    } catch (err) {
      const problem = classifyConnectError(err, settings);
      if (!problem.retry) throw new Error(`${what}: ${problem.message}`, { cause: err });
      const retryInMs = Math.min(max, initial * 2 ** (n - 1));
      opts.onRetry({ what, attempt: n, retryInMs, reason: problem.reason });
      await delay(retryInMs, undefined, { signal: opts.signal });
    }
  }
}
