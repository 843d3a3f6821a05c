import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import type { SearchAttributeType } from '@temporalio/common';
import { rotationSearchAttributes } from '../../src/workflows/search-attributes.js';
import { findOnPath } from './paths.js';
import { canBind, freePort, isPortOpen, isProcessAlive, tailFile } from './process.js';
import { ensureTemporalBinaries } from './temporal-binaries.js';

/** The Temporal CLI's spelling of each search attribute type (`--search-attribute name=Type`). */
const CLI_TYPE: Record<SearchAttributeType, string> = {
  TEXT: 'Text',
  KEYWORD: 'Keyword',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
};

export const TEMPORAL_NAMESPACE = 'default';

export interface LocalTemporal {
  /** gRPC address, `127.0.0.1:<port>`. */
  address: string;
  uiUrl: string;
  namespace: string;
  /** SIGTERM to the server's process group, SIGKILL after 5 s. */
  stop(): Promise<void>;
  /** Stop, then start again with the same ports and database file. */
  restart(): Promise<void>;
}

export interface StartTemporalOptions {
  /** SQLite file for persistence (workflows survive restarts). */
  dbFile: string;
  /** gRPC port; default: a free port. */
  port?: number;
  /** Web UI port; default: a free port. */
  uiPort?: number;
  /** Server output goes here (appended). */
  logFile: string;
  /** Stop a server running on `dbFile` and delete the database first. */
  fresh?: boolean;
  /**
   * Let the server outlive this process (a later call with the same `dbFile` and port reuses it).
   * Default false: a watchdog stops the server within ~1 s after this process exits, however it exits.
   */
  keepAlive?: boolean;
}

const READY_TIMEOUT_MS = 30_000;
const KILL_GRACE_MS = 5_000;

interface ServerState {
  /** Process group id (= pid of the watchdog shell that leads the group). */
  pgid: number;
  port: number;
  uiPort: number;
  dbFile: string;
}

/**
 * Watchdog shell: runs the server as a child, forwards SIGTERM/SIGINT/SIGHUP, stops the server when the parent
 * pid (argument 1, `0` = none) disappears, and escalates to SIGKILL after 5 s. Hand-written: a library's
 * cleanup (execa's, signal-exit) runs in the parent and so cannot act when the parent is SIGKILLed.
 */
const WATCHDOG = `
parent="$1"; shift
"$@" &
child=$!
stopping=
trap 'stopping=1; kill -TERM "$child" 2>/dev/null' TERM INT HUP
while [ -z "$stopping" ] && kill -0 "$child" 2>/dev/null; do
  if [ "$parent" != 0 ] && ! kill -0 "$parent" 2>/dev/null; then stopping=1; kill -TERM "$child" 2>/dev/null; break; fi
  sleep 1 & wait $! 2>/dev/null
done
i=0
while kill -0 "$child" 2>/dev/null; do
  i=$((i+1))
  if [ "$i" -gt 50 ]; then kill -KILL "$child" 2>/dev/null; fi
  sleep 0.1
done
wait "$child" 2>/dev/null
`;

/**
 * Starts `temporal server start-dev` on 127.0.0.1 with SQLite persistence and our search attributes, or reuses
 * one already serving the same `dbFile` on the requested port. Resolves once the frontend answers
 * `GetSystemInfo` and lists the search attributes.
 */
export async function startTemporalDevServer(opts: StartTemporalOptions): Promise<LocalTemporal> {
  const dbFile = path.resolve(opts.dbFile);
  const logFile = path.resolve(opts.logFile);
  const stateFile = `${dbFile}.server.json`;
  await mkdir(path.dirname(dbFile), { recursive: true });
  await mkdir(path.dirname(logFile), { recursive: true });

  if (opts.fresh) {
    const previous = await readState(stateFile);
    if (previous) await killGroup(previous.pgid, previous.port);
    for (const suffix of ['', '-wal', '-shm', '-journal', '.server.json']) await rm(dbFile + suffix, { force: true });
  } else {
    const previous = await readState(stateFile);
    if (previous && (opts.port === undefined || opts.port === previous.port) && (await isOurServer(previous))) {
      return handle(previous, logFile, stateFile, null, opts);
    }
  }

  const { temporal } = await ensureTemporalBinaries();
  const port = opts.port ?? (await freePort());
  const uiPort = opts.uiPort ?? (await freePort('127.0.0.1', [port]));
  const state: ServerState = { pgid: 0, port, uiPort, dbFile };
  const started = await launch(temporal, state, logFile, opts.keepAlive ?? false);
  await writeFile(stateFile, JSON.stringify(state, null, 2));
  return handle(state, logFile, stateFile, { temporal, child: started }, opts);
}

function handle(
  state: ServerState,
  logFile: string,
  stateFile: string,
  owned: { temporal: string; child: ChildProcess } | null,
  opts: StartTemporalOptions,
): LocalTemporal {
  let temporalBin = owned?.temporal;
  const stop = async (): Promise<void> => {
    await killGroup(state.pgid, state.port);
    await rm(stateFile, { force: true });
  };
  return {
    address: `127.0.0.1:${state.port}`,
    uiUrl: `http://127.0.0.1:${state.uiPort}`,
    namespace: TEMPORAL_NAMESPACE,
    stop,
    restart: async () => {
      await stop();
      temporalBin ??= (await ensureTemporalBinaries()).temporal;
      await launch(temporalBin, state, logFile, opts.keepAlive ?? false);
      await writeFile(stateFile, JSON.stringify(state, null, 2));
    },
  };
}

/** Spawns the server (in its own process group, behind the watchdog) and waits until it is ready. */
async function launch(temporal: string, state: ServerState, logFile: string, keepAlive: boolean): Promise<ChildProcess> {
  for (const [what, port] of [['gRPC', state.port], ['UI', state.uiPort]] as const) {
    if (!(await canBind(port))) {
      throw new Error(`Cannot start the Temporal dev server: ${what} port ${port} on 127.0.0.1 is already in use.`);
    }
  }
  const args = [
    'server', 'start-dev',
    '--db-filename', state.dbFile,
    '--ip', '127.0.0.1',
    '--port', String(state.port),
    '--ui-port', String(state.uiPort),
    '--log-level', 'warn',
    '--ui-disable-news-fetch',
    // The server hands an activity straight back to the worker that scheduled it (no matching round trip).
    '--dynamic-config-value',
    'system.enableActivityEagerExecution=true',
    ...Object.values(rotationSearchAttributes).flatMap((a) => ['--search-attribute', `${a.name}=${CLI_TYPE[a.type]}`]),
  ];
  const shell = findOnPath('sh') ?? '/bin/sh';
  const out = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    // node's spawn, not execa: the child must run detached and unreferenced, and execa's promise would hold it.
    child = spawn(shell, ['-c', WATCHDOG, 'temporal-watchdog', keepAlive ? '0' : String(process.pid), temporal, ...args], {
      detached: true, // own process group, so stop() can signal the server and the watchdog together
      stdio: ['ignore', out, out],
      cwd: path.dirname(state.dbFile),
    });
  } finally {
    closeSync(out);
  }
  if (!child.pid) throw new Error(`Could not spawn ${temporal}.`);
  child.unref(); // do not keep the event loop alive; the watchdog ends the server when we exit
  state.pgid = child.pid;

  let exited: string | undefined;
  child.once('exit', (code, signal) => {
    exited = signal ? `signal ${signal}` : `exit code ${code}`;
  });
  child.once('error', (err) => {
    exited = err.message;
  });

  // Hand-written wait: ready means GetSystemInfo answers and our search attributes are listed, which wait-on's
  // tcp/http resources cannot see.
  const address = `127.0.0.1:${state.port}`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastError = 'not reachable yet';
  while (Date.now() < deadline && exited === undefined) {
    const problem = await probe(address);
    if (problem === undefined) return child;
    lastError = problem;
    await sleep(250);
  }
  if (exited === undefined) await killGroup(state.pgid, state.port);
  throw new Error(
    `Temporal dev server on ${address} did not become ready` +
      (exited ? ` (it exited: ${exited})` : ` within ${READY_TIMEOUT_MS / 1000} s (last error: ${lastError})`) +
      `\n--- ${logFile} (tail) ---\n${await tailFile(logFile, 30)}`,
  );
}

/** undefined when the server answers GetSystemInfo and lists our search attributes; else what is missing. */
async function probe(address: string): Promise<string | undefined> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: 2_000 });
    await connection.workflowService.getSystemInfo({});
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: TEMPORAL_NAMESPACE });
    const missing = Object.values(rotationSearchAttributes)
      .map((a) => a.name)
      .filter((name) => !customAttributes || !(name in customAttributes));
    return missing.length ? `search attributes not registered yet: ${missing.join(', ')}` : undefined;
  } catch (err) {
    return (err as Error).message;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

async function readState(stateFile: string): Promise<ServerState | undefined> {
  try {
    const state = JSON.parse(await readFile(stateFile, 'utf8')) as ServerState;
    return Number.isInteger(state.pgid) && state.pgid > 0 ? state : undefined;
  } catch {
    return undefined;
  }
}

/** The recorded server is alive, runs on the recorded db file, and answers on its port. */
async function isOurServer(state: ServerState): Promise<boolean> {
  if (!isProcessAlive(state.pgid)) return false;
  const cmdline = `/proc/${state.pgid}/cmdline`;
  if (existsSync(cmdline) && !readFileSync(cmdline, 'utf8').split('\0').includes(state.dbFile)) return false;
  if (!(await isPortOpen(state.port))) return false;
  return (await probe(`127.0.0.1:${state.port}`)) === undefined;
}

/**
 * SIGTERM to the process group, SIGKILL after 5 s; then waits (briefly) until the port is released. Hand-written:
 * the server may belong to an earlier process (we hold its recorded group id, not a handle execa could kill), and
 * tree-kill neither escalates nor waits.
 */
async function killGroup(pgid: number, port: number): Promise<void> {
  if (!signalGroup(pgid, 'SIGTERM')) return;
  const deadline = Date.now() + KILL_GRACE_MS;
  while (Date.now() < deadline && groupAlive(pgid)) await sleep(100);
  if (groupAlive(pgid)) signalGroup(pgid, 'SIGKILL');
  const portDeadline = Date.now() + KILL_GRACE_MS;
  while (Date.now() < portDeadline && (await isPortOpen(port, '127.0.0.1', 200))) await sleep(100);
}

function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
