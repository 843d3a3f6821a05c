/**
 * The CLI's contact with the world: environment, the dev stack's env file, stdin, files, and the service
 * context (opened lazily, only by commands that need it).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, requireDatabaseUrl } from '../config.js';
import { dataDir } from '../data-dir.js';
import { openServiceContext, type ServiceContext } from '../service/context.js';
import { CliError } from './errors.js';

export interface CliRuntime {
  openContext(): Promise<ServiceContext>;
  readStdin(): Promise<string>;
  readFile(file: string): Promise<string>;
  env: NodeJS.ProcessEnv;
  stdout(text: string): void;
  stderr(text: string): void;
  /** Recorded in audit events. */
  actor: string;
  /** Values that must never be printed (filled as they are read: passwords, keys). */
  secrets: string[];
}

/** Where `npm run dev` writes TEMPORAL_ADDRESS, DATABASE_URL and the root key(s) for the local stack. */
export function devEnvFile(): string {
  return path.join(dataDir(), 'dev', 'rotator.env');
}

/** Loads the dev env file into process.env if there is one; variables already set win. Returns the file loaded. */
export function loadDevEnv(): string | undefined {
  const file = devEnvFile();
  if (!existsSync(file)) return undefined;
  const before = { ...process.env };
  process.loadEnvFile(file);
  // loadEnvFile does not override on current Node versions; make sure of it on any.
  for (const [k, v] of Object.entries(before)) if (v !== undefined) process.env[k] = v;
  // The two root-key variables are one setting (both set is an error): root keys set here keep the file's out.
  const rootKeyVariables = ['ROTATOR_ENCRYPTION_KEYS', 'ROTATOR_ENCRYPTION_KEY'];
  if (rootKeyVariables.some((k) => before[k])) for (const k of rootKeyVariables) if (before[k] === undefined) delete process.env[k];
  return file;
}

/** Values from the environment that are secret: the control database password and the root keys. */
function environmentSecrets(env: NodeJS.ProcessEnv): string[] {
  const out: string[] = [];
  if (env.ROTATOR_ENCRYPTION_KEY) out.push(env.ROTATOR_ENCRYPTION_KEY);
  // Each key of the ring (`id:key` entries); not the ids, which error messages name.
  for (const entry of env.ROTATOR_ENCRYPTION_KEYS?.split(',') ?? []) out.push(entry.slice(entry.indexOf(':') + 1).trim());
  try {
    const pw = env.DATABASE_URL ? new URL(env.DATABASE_URL).password : '';
    if (pw) out.push(pw, decodeURIComponent(pw));
  } catch {
    // not a URL: loadConfig reports it
  }
  // A very short value would be "redacted" out of ordinary words; such a value is no real secret anyway.
  return out.filter((s) => s.length >= 6);
}

async function readAllStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

function whoami(): string {
  try {
    return `cli:${os.userInfo().username}`;
  } catch {
    return 'cli';
  }
}

export function processRuntime(): CliRuntime {
  const secrets: string[] = [];
  return {
    env: process.env,
    secrets,
    actor: whoami(),
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    readStdin: readAllStdin,
    readFile: (file) => readFile(file, 'utf8'),
    async openContext() {
      loadDevEnv();
      secrets.push(...environmentSecrets(process.env));
      let config;
      try {
        config = loadConfig(process.env);
        requireDatabaseUrl(config);
        if (!config.keyRing) throw new Error('ROTATOR_ENCRYPTION_KEYS (or ROTATOR_ENCRYPTION_KEY) is not set: give the CLI the key ring the worker uses.');
      } catch (err) {
        throw new CliError('config', `${(err as Error).message} (or run \`npm run dev\`, which writes ${devEnvFile()})`);
      }
      try {
        // A few quick attempts: someone is waiting, and "Temporal is down" is an answer too.
        return await openServiceContext(config, { temporalAttempts: 3 });
      } catch (err) {
        // Opening connects to nothing (the pool and Temporal connect on first use): what fails here is the key.
        throw new CliError('config', (err as Error).message);
      }
    },
  };
}
