import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../../src/data-dir.js';
import { stackEnv } from './stack.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** ROTATOR_DATA_DIR for the child: an empty test directory means no dev env file is read. */
  dataDir: string;
  /** Written to the child's stdin, which is then closed (empty by default). */
  stdin?: string;
  /** Added to the default environment. */
  env?: Record<string, string>;
  /** The whole environment instead of the default one (PATH, HOME, the stack's variables, ROTATOR_DATA_DIR). */
  bareEnv?: Record<string, string>;
  /** Runs this executable with the arguments instead of `tsx src/cli/main.ts`. */
  command?: string;
  cwd?: string;
}

const TSX = path.join(projectRoot, 'node_modules', '.bin', 'tsx');
const CLI = path.join(projectRoot, 'src', 'cli', 'main.ts');

/** Runs `tsx src/cli/main.ts …` as a child process with only the stack's environment; collects its output. */
export function runCli(args: string[], opts: CliOptions): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const [cmd, argv] = opts.command ? [opts.command, args] : [TSX, [CLI, ...args]];
    const child = spawn(cmd, argv, {
      cwd: opts.cwd ?? projectRoot,
      env: opts.bareEnv ?? { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.tmpdir(), ...stackEnv(), ROTATOR_DATA_DIR: opts.dataDir, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(opts.stdin ?? '');
  });
}
