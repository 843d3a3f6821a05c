// Child processes of tests and benchmarks, above all the worker as deployed (bin/pg-rotator-worker): started with a
// chosen environment, their output in a log file and in memory (lines, for asserting log lines), waited on for a
// line, stopped or killed. No vitest here: the benchmarks import it too.
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { projectRoot } from '../../src/data-dir.js';

/** The worker's launcher: what `npm run worker` and the image run. */
export const workerLauncher = path.join(projectRoot, 'bin', 'pg-rotator-worker');

export interface ProcessOptions {
  /** Settings for the process, over PATH (which it always gets: the launcher is a bash script that finds node on it). */
  env: Record<string, string | undefined>;
  /** Also pass on this process's environment (under `env`). Off, a setting of the test runner cannot leak in. */
  inheritEnv?: boolean;
  /** Its stdout and stderr are appended to this file as they come (the leak audit greps the test logs for passwords). */
  logFile: string;
}

export interface LoggedProcess {
  /** The process's pid (the launcher execs node, so for the worker it is the worker's own). */
  pid: number;
  /** Its output so far, line by line, stdout and stderr in the order they came. */
  lines(): string[];
  /** Its output so far, as one text. */
  output(): string;
  /** Its stderr so far, as one text. */
  stderr(): string;
  /**
   * The first line of its output (so far or to come) that `match` matches. Fails, showing the output so far, if the
   * process exits first or no such line comes within `timeoutMs`.
   */
  waitFor(match: RegExp | ((line: string) => boolean), timeoutMs?: number): Promise<string>;
  /** Its exit code once it has exited; undefined if a signal ended it. */
  exited: Promise<number | undefined>;
  /** SIGTERM (a graceful shutdown), SIGKILL if it is still running 5 s later; resolves to `exited`. */
  stop(): Promise<number | undefined>;
  /** SIGKILL (a crash); resolves to `exited`. */
  kill(): Promise<number | undefined>;
}

/** `file args` in the project folder, its output logged (see LoggedProcess). */
export function startLoggedProcess(file: string, args: readonly string[], opts: ProcessOptions): LoggedProcess {
  const lines: { stderr: boolean; text: string }[] = [];
  const record = (stderr: boolean) =>
    function* (line: unknown) {
      lines.push({ stderr, text: String(line) });
      yield line;
    };
  const log = { file: opts.logFile, append: true };
  const child = execa(file, args, {
    cwd: projectRoot,
    env: { ...(opts.inheritEnv ? process.env : { PATH: process.env.PATH }), ...opts.env },
    extendEnv: false,
    stdin: 'ignore',
    stdout: [record(false), log],
    stderr: [record(true), log],
    reject: false,
    forceKillAfterDelay: 5_000,
  });
  let ended = false;
  const exited = child.then((result) => {
    ended = true;
    return result.exitCode;
  });
  const output = () => lines.map((l) => l.text).join('\n');
  const name = path.basename(opts.logFile, '.log');
  return {
    pid: child.pid!,
    lines: () => lines.map((l) => l.text),
    output,
    stderr: () =>
      lines
        .filter((l) => l.stderr)
        .map((l) => l.text)
        .join('\n'),
    async waitFor(match, timeoutMs = 90_000) {
      const matches = typeof match === 'function' ? match : (line: string) => match.test(line);
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = lines.find((l) => matches(l.text));
        if (found) return found.text;
        if (ended) throw new Error(`${name} exited (${await exited}) before ${match}:\n${output()}`);
        if (Date.now() > deadline) throw new Error(`no ${match} from ${name} within ${timeoutMs} ms:\n${output()}`);
        await sleep(50);
      }
    },
    exited,
    stop() {
      child.kill('SIGTERM');
      return exited;
    },
    kill() {
      child.kill('SIGKILL');
      return exited;
    },
  };
}

/** The worker process through its launcher, as deployed. */
export function startWorkerProcess(opts: ProcessOptions): LoggedProcess {
  return startLoggedProcess(workerLauncher, [], opts);
}
