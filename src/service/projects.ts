import type { CreateEnvironmentInput, CreateProjectInput } from '../domain/project-schemas.js';
import { recordAudit } from '../store/audit.js';
import { isUniqueViolation, type Queryable, withTransaction } from '../store/db.js';
import {
  type EnvironmentRecord,
  findEnvironment,
  getProject,
  insertEnvironment,
  insertProject,
  listProjects,
  type ProjectRecord,
} from '../store/projects.js';
import type { ServiceContext } from './context.js';
import { fieldError } from './errors.js';

const isUuid = (s: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s);

export async function createProject(ctx: ServiceContext, input: CreateProjectInput, actor: string, id?: string): Promise<ProjectRecord> {
  try {
    const project = await withTransaction(ctx.db.pool, async (tx) => (await getProject(tx, await insertProject(tx, input.name, id)))!);
    await recordAudit(ctx.db.pool, { actor, action: 'project.created', projectId: project.id, details: { name: project.name } });
    return project;
  } catch (err) {
    if (isUniqueViolation(err)) throw fieldError('conflict', 'name', `must be unique: a project named "${input.name}" exists`);
    throw err;
  }
}

export async function requireProject(db: Queryable, projectId: string, field = 'projectId'): Promise<ProjectRecord> {
  const project = isUuid(projectId) ? await getProject(db, projectId) : null;
  if (!project) throw fieldError('not-found', field, `must name an existing project: ${projectId} not found`);
  return project;
}

/** The environment (project, slug), or a not-found error naming the field. */
export async function requireEnvironment(db: Queryable, projectId: string, slug: string): Promise<EnvironmentRecord> {
  await requireProject(db, projectId);
  const env = await findEnvironment(db, projectId, slug);
  if (!env) throw fieldError('not-found', 'environment', `must name an environment of project ${projectId}: "${slug}" not found`);
  return env;
}

export async function listAllProjects(ctx: ServiceContext, ids?: string[]): Promise<ProjectRecord[]> {
  return listProjects(ctx.db.pool, ids);
}

export async function addEnvironment(ctx: ServiceContext, projectId: string, input: CreateEnvironmentInput, actor: string): Promise<EnvironmentRecord> {
  await requireProject(ctx.db.pool, projectId);
  try {
    const env = await insertEnvironment(ctx.db.pool, projectId, input.slug, input.name);
    await recordAudit(ctx.db.pool, { actor, action: 'environment.created', projectId, details: { slug: env.slug } });
    return env;
  } catch (err) {
    if (isUniqueViolation(err)) throw fieldError('conflict', 'slug', `must be unique in the project: "${input.slug}" exists`);
    throw err;
  }
}
