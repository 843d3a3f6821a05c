/** `pg-rotator rotation …`: PostgreSQL credential rotations. Body flags come from the table in rotation-flags.ts. */
import type { Command } from 'commander';
import { type CreateRotationInput, createRotationSchema, type UpdateRotationPatch, updateRotationSchema } from '../../domain/rotation-schemas.js';
import type { RotationView } from '../../domain/rotation-view-schemas.js';
import { parseInput } from '../../service/errors.js';
import { checkRotation } from '../../service/rotation-check.js';
import {
  createRotation,
  deleteRotation,
  getRotationView,
  incidentRotation,
  incidentRotationWarning,
  listRotationViews,
  requestRotation,
  rotateRotation,
  updateRotation,
} from '../../service/rotations.js';
import { CliError, EXIT_CODES } from '../errors.js';
import { projectIdOption } from '../flags.js';
import { formatRotation, formatRotationCheck, formatRotationTable, printable } from '../output.js';
import {
  addRotationFlags,
  checkRotationFlags,
  createBodyFromFlags,
  hasBodyFlags,
  readRotationFlags,
  type RotationFlags,
  rotationFlagFor,
  updateNeedsCurrent,
  updatePatchFromFlags,
} from '../rotation-flags.js';
import { type JsonOpt, leaf, type Session } from '../session.js';
import type { CliRuntime } from '../runtime.js';

type BodyOpts = RotationFlags & JsonOpt & { file?: string };

/** A JSON body from --file (`-` is stdin). */
async function readJsonBody(rt: CliRuntime, file: string): Promise<unknown> {
  let text: string;
  try {
    text = file === '-' ? await rt.readStdin() : await rt.readFile(file);
  } catch (err) {
    throw new CliError('usage', `cannot read --file ${file}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const rule = `must be valid JSON (${(err as Error).message})`;
    throw new CliError('validation', `body ${rule}`, [{ field: 'body', rule, message: `body ${rule}` }]);
  }
}

export function rotationCommands(program: Command, session: Session): void {
  const rt = session.rt;
  const rotation = program.command('rotation').description('PostgreSQL credential rotations');

  addRotationFlags(
    leaf(rotation, 'create', 'create a rotation: checks both roles, gives them fresh passwords and publishes the first').option(
      '--file <path|->',
      'JSON body as in the API (POST body); - reads stdin',
    ),
    'create',
  )
    .addHelpText(
      'after',
      '\nGive either --file or flags. Flags build the same JSON body; errors name the flag and the body field (e.g. --rotate-at, rotateAtUtc).\n' +
        'Required: --name --project --connection --env --interval --username1 --username2 --username-secret --password-secret\n',
    )
    .action(async (opts: BodyOpts) => {
      // Parsed here, before connecting to anything: a bad body fails fast.
      let input: CreateRotationInput;
      if (opts.file !== undefined) {
        if (hasBodyFlags(opts)) throw new CliError('usage', 'give either --file or body flags, not both');
        input = parseInput(createRotationSchema, await readJsonBody(rt, opts.file));
      } else {
        session.flagFor = rotationFlagFor;
        const given = readRotationFlags(opts, 'create');
        input = checkRotationFlags(given, { schema: createRotationSchema, body: createBodyFromFlags(given) });
      }
      const view = await createRotation(await session.context(), input, rt.actor);
      session.print(opts, view, () => formatRotation(view));
    });

  leaf(rotation, 'list', 'list rotations (from the control database; needs no Temporal)')
    .option('--project <uuid>', 'only this project')
    .action(async (opts: JsonOpt & { project?: string }) => {
      const projectId = projectIdOption(opts.project); // before connecting to anything
      const list = await listRotationViews(await session.context(), projectId);
      session.print(opts, list, () => formatRotationTable(list));
    });

  leaf(rotation, 'get <id>', 'show one rotation (live state from its workflow)').action(async (id: string, opts: JsonOpt) => {
    const view = await getRotationView(await session.context(), id);
    session.print(opts, view, () => formatRotation(view));
  });

  leaf(rotation, 'rotate <id>', 'rotate now and wait for the result (joins a rotation already running)')
    .option('--no-wait', 'return once the rotation is accepted; it runs in the background')
    .option('--force', 'rotate even if the credential it overwrites stopped being active less than minimumOverlapSeconds ago')
    .addHelpText(
      'after',
      '\nWith minimumOverlapSeconds set, a rotation that would overwrite a credential that stopped being active less than\n' +
        'that long ago (applications may still hold it) is refused with exit code 4, saying from when it is allowed.\n',
    )
    .action(async (id: string, opts: JsonOpt & { wait: boolean; force?: boolean }) => {
      session.flagFor = rotationFlagFor;
      const ctx = await session.context();
      const options = opts.force ? { force: true } : {};
      if (!opts.wait) {
        await requestRotation(ctx, id, options, rt.actor);
        session.print(opts, { requested: true, id }, () => `rotation requested for ${id}\n`);
        return;
      }
      const view = await rotateRotation(ctx, id, options, rt.actor);
      session.print(opts, view, () => formatRotation(view));
    });

  leaf(rotation, 'incident <id>', 'incident rotation: give BOTH roles new passwords now (every old pair stops working)')
    .option('--yes', 'confirm: holders of the old pairs lose access')
    .addHelpText(
      'after',
      '\nFor when both credentials are known to be compromised. The inactive role gets a new password and is published\n' +
        'first, then the other role gets one too; the mapped secrets always hold a pair that logs in. Refused without --yes.\n',
    )
    .action(async (id: string, opts: JsonOpt & { yes?: boolean }) => {
      const ctx = await session.context();
      if (!opts.yes) {
        const view = await getRotationView(ctx, id);
        throw new CliError('usage', `${incidentRotationWarning(view)} Run again with --yes to proceed.`);
      }
      const result = await incidentRotation(ctx, id, rt.actor);
      session.print(opts, result, () => `${printable(result.warning)}\n\n${formatRotation(result.secretRotation)}`);
    });

  leaf(rotation, 'check <id>', 'drift check: do both stored credentials log in, do the mapped secrets hold the active one?')
    .addHelpText(
      'after',
      "\nLogs in to the target as each role (with the connection's TLS settings); changes nothing, prints no password.\n" +
        'Exit code 0 when everything checks out, 7 when it found drift or a credential that does not log in.\n',
    )
    .action(async (id: string, opts: JsonOpt) => {
      const report = await checkRotation(await session.context(), id, rt.actor);
      session.print(opts, report, () => formatRotationCheck(report));
      if (report.drift || report.slots.some((s) => !s.loginOk)) session.exitCode = EXIT_CODES.drift;
    });

  for (const [name, enabled, what] of [
    ['pause', false, 'disable automatic rotation (manual rotation still works)'],
    ['resume', true, 'enable automatic rotation again'],
  ] as const) {
    leaf(rotation, `${name} <id>`, what).action(async (id: string, opts: JsonOpt) => {
      const view = await updateRotation(await session.context(), id, { isAutoRotationEnabled: enabled }, rt.actor);
      session.print(opts, view, () => formatRotation(view));
    });
  }

  addRotationFlags(
    leaf(rotation, 'update <id>', 'change a rotation (only the fields given change)').option('--file <path|->', 'JSON patch as in the API (PATCH body); - reads stdin'),
    'update',
  ).action(async (id: string, opts: BodyOpts) => {
    let patch: UpdateRotationPatch;
    if (opts.file !== undefined) {
      if (hasBodyFlags(opts)) throw new CliError('usage', 'give either --file or flags, not both');
      patch = parseInput(updateRotationSchema, await readJsonBody(rt, opts.file));
    } else {
      session.flagFor = rotationFlagFor;
      const given = readRotationFlags(opts, 'update');
      if (updateNeedsCurrent(given)) {
        checkRotationFlags(given); // the flags' own formats, before reading the current rotation
        patch = parseInput(updateRotationSchema, updatePatchFromFlags(given, await getRotationView(await session.context(), id)));
      } else {
        patch = checkRotationFlags(given, { schema: updateRotationSchema, body: updatePatchFromFlags(given) });
      }
    }
    const view = await updateRotation(await session.context(), id, patch, rt.actor);
    session.print(opts, view, () => formatRotation(view));
  });

  leaf(rotation, 'delete <id>', 'delete a rotation (its workflow ends)')
    .option('--delete-secrets', 'also delete the mapped secrets (default: keep them, with their last values)')
    .option('--revoke-generated-credentials', 'give both roles throwaway passwords, so the issued credentials stop working')
    .action(async (id: string, opts: JsonOpt & { deleteSecrets?: boolean; revokeGeneratedCredentials?: boolean }) => {
      const options = { deleteSecrets: opts.deleteSecrets ?? false, revokeGeneratedCredentials: opts.revokeGeneratedCredentials ?? false };
      const before: RotationView = await deleteRotation(await session.context(), id, options, rt.actor);
      session.print(opts, { deleted: true, ...options, secretRotation: before }, () =>
        [
          `deleted rotation ${before.name} (${before.id})`,
          options.deleteSecrets
            ? `deleted secrets ${before.secretsMapping.username}, ${before.secretsMapping.password}`
            : `kept secrets ${before.secretsMapping.username}, ${before.secretsMapping.password}`,
          options.revokeGeneratedCredentials
            ? `revoked the credentials of ${before.parameters.username1}, ${before.parameters.username2}`
            : 'the issued credentials still work',
        ].join('\n') + '\n',
      );
    });
}
