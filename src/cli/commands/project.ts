/** `pg-rotator project …`: projects and their environments. */
import type { Command } from 'commander';
import { createEnvironmentSchema, createProjectSchema } from '../../domain/project-schemas.js';
import { parseInput } from '../../service/errors.js';
import { addEnvironment, createProject, listAllProjects, requireProject } from '../../service/projects.js';
import { compact, flagHints } from '../flags.js';
import { formatEnvironment, formatProject, formatProjectTable } from '../output.js';
import { type JsonOpt, leaf, type Session } from '../session.js';

export function projectCommands(program: Command, session: Session): void {
  const rt = session.rt;
  const project = program.command('project').description('projects and their environments');

  leaf(project, 'create', 'create a project (a new UUID) with the environments dev, staging and prod')
    .option('--name <name>', 'project name, unique (1–64 characters)')
    .action(async (opts: JsonOpt & { name?: string }) => {
      session.flagFor = flagHints({ name: '--name' });
      const input = parseInput(createProjectSchema, compact({ name: opts.name })); // before connecting to anything
      const created = await createProject(await session.context(), input, rt.actor);
      session.print(opts, created, () => formatProject(created));
    });

  leaf(project, 'list', 'list projects with their environments').action(async (opts: JsonOpt) => {
    const list = await listAllProjects(await session.context());
    session.print(opts, list, () => formatProjectTable(list));
  });

  leaf(project, 'get <id>', 'show one project').action(async (id: string, opts: JsonOpt) => {
    const found = await requireProject((await session.context()).db.pool, id, 'projectId');
    session.print(opts, found, () => formatProject(found));
  });

  const environment = project.command('env').description('environments of a project');

  leaf(environment, 'add <projectId>', 'add an environment to a project')
    .option('--slug <slug>', 'environment slug: lowercase letters, digits, hyphens (unique in the project)')
    .option('--name <name>', 'display name')
    .action(async (projectId: string, opts: JsonOpt & { slug?: string; name?: string }) => {
      session.flagFor = flagHints({ slug: '--slug', name: '--name' });
      const input = parseInput(createEnvironmentSchema, compact({ slug: opts.slug, name: opts.name })); // before connecting to anything
      const env = await addEnvironment(await session.context(), projectId, input, rt.actor);
      session.print(opts, { projectId, ...env }, () => formatEnvironment(projectId, env));
    });
}
