// Safe upgrades: every captured path of the rotation workflow (test/replay/histories, written by
// `npm run capture:histories`) replays against the current workflow code, bundled by the script the Docker image
// uses. A change that running workflows could not take over fails here, before it is deployed.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import proto from '@temporalio/proto';
import { bundleWorkflowCode, DefaultLogger, Worker, type ReplayResult } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { execa } from 'execa';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { projectRoot } from '../../src/data-dir.js';
import { WORKFLOW_TYPE } from '../../src/workflows/rotation-messages.js';

const historiesDir = path.join(projectRoot, 'test', 'replay', 'histories');
/** The paths a running rotation can be in; each must have a captured history. */
const PATHS = [
  'issue',
  'issue-failed',
  'scheduled-rotation',
  'manual-rotation',
  'failure-and-recovery',
  'incident',
  'config-change',
  'pause-resume',
  'delete',
  'search-attributes',
  'continue-as-new-first-run',
  'continue-as-new-next-run',
];

type History = proto.temporal.api.history.v1.History;
let histories: { name: string; history: History; raw: unknown }[];
let bundlePath: string;

beforeAll(async () => {
  const files = (await readdir(historiesDir)).filter((f) => f.endsWith('.json'));
  histories = await Promise.all(
    files.map(async (file) => {
      const raw: unknown = JSON.parse(await readFile(path.join(historiesDir, file), 'utf8'));
      // protobufjs's JSON form, as the capture script writes it.
      return { name: path.basename(file, '.json'), history: proto.temporal.api.history.v1.History.fromObject(raw as object), raw };
    }),
  );
  histories.sort((a, b) => a.name.localeCompare(b.name));
  bundlePath = path.join(inject('testDataDir'), 'replay', 'workflow-bundle.js');
  await execa('npx', ['tsx', path.join(projectRoot, 'scripts', 'bundle-workflows.ts'), bundlePath], { cwd: projectRoot });
});

async function replay(options: Parameters<typeof Worker.runReplayHistories>[0], names?: string[]): Promise<Map<string, ReplayResult>> {
  const selected = histories.filter((h) => !names || names.includes(h.name));
  const results = new Map<string, ReplayResult>();
  const byWorkflowId = new Map<string, string>();
  const input = selected.map(({ name, history }) => {
    const workflowId = `replay-fixture-${name}`;
    byWorkflowId.set(workflowId, name);
    return { workflowId, history };
  });
  for await (const result of Worker.runReplayHistories(options, input)) results.set(byWorkflowId.get(result.workflowId)!, result);
  return results;
}

describe('replay of captured workflow histories', () => {
  it('has a history for every path, each of a rotation workflow', () => {
    expect(histories.map((h) => h.name)).toEqual([...PATHS].sort((a, b) => a.localeCompare(b)));
    for (const { name, history } of histories) {
      const started = history.events[0]?.workflowExecutionStartedEventAttributes;
      expect(started?.workflowType?.name, name).toBe(WORKFLOW_TYPE);
    }
  });

  it('the bundle holds no zod: a workflow\'s modules are evaluated again for every workflow a worker instantiates', async () => {
    const code = await readFile(bundlePath, 'utf8');
    expect(code).toContain('node_modules/@temporalio/workflow/');
    expect(code).not.toMatch(/node_modules\/zod\//);
  });

  it('every history replays against the current workflow code, from the bundle the image ships', async () => {
    const results = await replay({ workflowBundle: { codePath: bundlePath } });
    expect([...results.keys()].sort((a, b) => a.localeCompare(b))).toEqual([...PATHS].sort((a, b) => a.localeCompare(b)));
    for (const [name, result] of results) expect(result.error, `${name}: ${result.error?.message}`).toBeUndefined();
  });

  it('a workflow whose commands come in another order fails the replay with a DeterminismViolationError', async () => {
    const { code } = await bundleWorkflowCode({
      workflowsPath: path.join(projectRoot, 'test', 'replay', 'altered-workflow.ts'),
      logger: new DefaultLogger('WARN'),
    });
    const results = await replay({ workflowBundle: { code } }, ['issue', 'scheduled-rotation']);
    expect(results.size).toBe(2);
    for (const [name, result] of results) expect(result.error, name).toBeInstanceOf(DeterminismViolationError);
  });

  it('the histories hold no password: every password-named field is a secret name or a mode', () => {
    const found: string[] = [];
    const visit = (value: unknown, key: string): void => {
      if (Array.isArray(value)) return value.forEach((v) => visit(v, key));
      if (value === null || typeof value !== 'object') {
        if (/password/i.test(key)) found.push(`${key}=${String(value)}`);
        return;
      }
      const record = value as Record<string, unknown>;
      // A payload: its data is base64 JSON (the workflow's inputs, results, update arguments and markers).
      if (typeof record.data === 'string' && record.metadata) visit(JSON.parse(Buffer.from(record.data, 'base64').toString('utf8')), key);
      for (const [k, v] of Object.entries(record)) if (k !== 'data') visit(v, k);
    };
    for (const { raw } of histories) visit(raw, '');
    expect(found.length).toBeGreaterThan(0); // the scan reaches the payloads (the config names both fields)
    // secretsMapping.password names the secret; rotationStatementPassword is how the password is sent.
    expect(new Set(found)).toEqual(new Set(['password=POSTGRES_DB_PASSWORD', 'rotationStatementPassword=verifier']));
  });
});
