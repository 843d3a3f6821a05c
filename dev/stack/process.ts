import { existsSync } from 'node:fs';
import { mkdir, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa, type Options } from 'execa';

/** Hand-written: `kill(pid, 0)` is the whole check, and EPERM (alive, not ours) is the one subtlety. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Runs a command to completion; throws an error naming `what`, the exit code or signal, and the output's tail. */
export async function runOrThrow(what: string, cmd: string, args: readonly string[], opts: Options = {}): Promise<string> {
  const result = await execa(cmd, args, { ...opts, stdin: 'ignore', all: true, reject: false });
  if (result.failed) throw new Error(`${what} failed (${result.shortMessage}):\n${lastLines(String(result.all ?? ''), 30)}`);
  return String(result.all ?? '');
}

export function lastLines(text: string, n: number): string {
  return text.trimEnd().split('\n').slice(-n).join('\n');
}

/** The last `n` lines of a (possibly large or missing) file. */
export async function tailFile(file: string, n = 40): Promise<string> {
  try {
    const handle = await open(file, 'r');
    try {
      const { size } = await handle.stat();
      const length = Math.min(size, 64 * 1024);
      const buf = Buffer.alloc(length);
      await handle.read(buf, 0, length, size - length);
      return lastLines(buf.toString('utf8'), n);
    } finally {
      await handle.close();
    }
  } catch (err) {
    return `(cannot read ${file}: ${(err as Error).message})`;
  }
}

/**
 * True when something accepts TCP connections on host:port. Hand-written: a connect attempt is all it takes,
 * and "can I bind it" (`canBind`) is a different question (a port can be neither free nor served).
 */
export function isPortOpen(port: number, host = '127.0.0.1', timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (open: boolean): void => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** True when we can bind host:port right now. */
export function canBind(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * A currently free TCP port on host (the OS picks it). `avoid` lists ports not to return. Hand-written, as
 * `canBind`: get-port reserves every port it returns for 15–30 s in this process, so a cluster or server
 * restarted on its remembered port would be refused it.
 */
export async function freePort(host = '127.0.0.1', avoid: readonly number[] = []): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = net.createServer();
      server.once('error', reject);
      server.listen({ port: 0, host, exclusive: true }, () => {
        const address = server.address();
        const p = typeof address === 'object' && address ? address.port : 0;
        server.close(() => resolve(p));
      });
    });
    if (port > 0 && !avoid.includes(port)) return port;
  }
  throw new Error(`Could not find a free TCP port on ${host}.`);
}

/**
 * Exclusive cross-process lock: `mkdir` is atomic. A lock whose owner process died (or older than 10 min) is
 * taken over. Hand-written: lock libraries judge staleness by mtime alone; a pip install can outlast that, and
 * the owner's pid says at once whether it still runs.
 */
export async function withLock<T>(lockDir: string, fn: () => Promise<T>, waitMs = 15 * 60_000): Promise<T> {
  const deadline = Date.now() + waitMs;
  await mkdir(path.dirname(lockDir), { recursive: true }); // e.g. .data/ on a fresh clone
  for (;;) {
    try {
      await mkdir(lockDir);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (await lockIsStale(lockDir)) {
        await rm(lockDir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`Timed out waiting for lock ${lockDir}; remove it if no install is running.`);
      await sleep(250);
    }
  }
  try {
    await writeFile(path.join(lockDir, 'owner'), String(process.pid));
    return await fn();
  } finally {
    await rm(lockDir, { recursive: true, force: true });
  }
}

async function lockIsStale(lockDir: string): Promise<boolean> {
  try {
    const info = await stat(lockDir);
    if (Date.now() - info.mtimeMs > 10 * 60_000) return true;
    const ownerFile = path.join(lockDir, 'owner');
    if (!existsSync(ownerFile)) return Date.now() - info.mtimeMs > 5_000; // owner file not written yet
    const pid = Number((await readFile(ownerFile, 'utf8')).trim());
    if (!Number.isInteger(pid) || pid <= 0) return true;
    return !isProcessAlive(pid);
  } catch {
    return false; // vanished in between: just retry mkdir
  }
}
