#!/usr/bin/env node
/**
 * pg-rotator CLI entry: `npm run cli -- <command>` or `bin/pg-rotator <command>`. See `--help`.
 */
import { runCli } from './program.js';
import { processRuntime } from './runtime.js';

process.exitCode = await runCli(process.argv.slice(2), processRuntime());
