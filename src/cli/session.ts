/**
 * One CLI invocation as the command groups see it: the lazily opened service context, how results are printed,
 * and which flags set which body fields (for error messages).
 */
import type { Command } from 'commander';
import type { ServiceContext } from '../service/context.js';
import type { FlagForField } from './errors.js';
import { formatJson } from './output.js';
import type { CliRuntime } from './runtime.js';

export interface JsonOpt {
  json?: boolean;
}

export class Session {
  private ctx: ServiceContext | undefined;
  /** Set by a command whose body came from flags: error details then name the flag as well as the body field. */
  flagFor: FlagForField | undefined;
  /** Set by a command whose exit code is not the CLI's own (`run`: the child's; `rotation check`: drift). */
  exitCode: number | undefined;

  constructor(readonly rt: CliRuntime) {}

  async context(): Promise<ServiceContext> {
    this.ctx ??= await this.rt.openContext();
    return this.ctx;
  }

  async close(): Promise<void> {
    const ctx = this.ctx;
    this.ctx = undefined;
    await ctx?.close();
  }

  print(opts: JsonOpt, json: unknown, human: () => string): void {
    this.rt.stdout(opts.json ? formatJson(json) : human());
  }
}

/** A subcommand that prints a result: every one takes --json. */
export function leaf(parent: Command, nameAndArgs: string, description: string): Command {
  return parent.command(nameAndArgs).description(description).option('--json', 'print JSON on stdout (errors as JSON on stderr)');
}
