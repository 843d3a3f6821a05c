import { randomUUID } from 'node:crypto';
import type { Queryable } from './db.js';

export interface EnvironmentRecord {
  id: string;
  slug: string;
  name: string;
}

export interface ProjectRecord {
  id: string;
  name: string;
  environments: EnvironmentRecord[];
  createdAt: string;
  updatedAt: string;
}

export const DEFAULT_ENVIRONMENTS: readonly Omit<EnvironmentRecord, 'id'>[] = [
  { slug: 'dev', name: 'Development' },
  { slug: 'staging', name: 'Staging' },
  { slug: 'prod', name: 'Production' },
];

const SELECT = `SELECT p.id, p.name, p.created_at, p.updated_at,
  COALESCE(json_agg(json_build_object('id', e.id, 'slug', e.slug, 'name', e.name) ORDER BY e.position, e.created_at)
    FILTER (WHERE e.id IS NOT NULL), '[]') AS environments
  FROM projects p LEFT JOIN environments e ON e.project_id = p.id`;

function fromRow(r: Record<string, unknown>): ProjectRecord {
  return {
    id: r.id as string,
    name: r.name as string,
    environments: r.environments as EnvironmentRecord[],
    createdAt: (r.created_at as Date).toISOString(),
    updatedAt: (r.updated_at as Date).toISOString(),
  };
}

/** A project with the default environments dev, staging and prod. */
export async function insertProject(db: Queryable, name: string, id: string = randomUUID()): Promise<string> {
  await db.query('INSERT INTO projects (id, name) VALUES ($1, $2)', [id, name]);
  for (const [position, env] of DEFAULT_ENVIRONMENTS.entries()) {
    await insertEnvironment(db, id, env.slug, env.name, position);
  }
  return id;
}

export async function insertEnvironment(db: Queryable, projectId: string, slug: string, name: string, position?: number): Promise<EnvironmentRecord> {
  const id = randomUUID();
  await db.query(
    `INSERT INTO environments (id, project_id, slug, name, position)
     VALUES ($1, $2, $3, $4, COALESCE($5, (SELECT COUNT(*) FROM environments WHERE project_id = $2)))`,
    [id, projectId, slug, name, position ?? null],
  );
  return { id, slug, name };
}

export async function getProject(db: Queryable, id: string): Promise<ProjectRecord | null> {
  const { rows } = await db.query(`${SELECT} WHERE p.id = $1 GROUP BY p.id`, [id]);
  return rows[0] ? fromRow(rows[0]) : null;
}

/** All projects, or those with the given ids. */
export async function listProjects(db: Queryable, ids?: string[]): Promise<ProjectRecord[]> {
  const { rows } = await db.query(`${SELECT} WHERE ($1::uuid[] IS NULL OR p.id = ANY($1)) GROUP BY p.id ORDER BY p.created_at, p.name`, [ids ?? null]);
  return rows.map(fromRow);
}

export async function findEnvironment(db: Queryable, projectId: string, slug: string): Promise<EnvironmentRecord | null> {
  const { rows } = await db.query('SELECT id, slug, name FROM environments WHERE project_id = $1 AND slug = $2', [projectId, slug]);
  return (rows[0] as EnvironmentRecord | undefined) ?? null;
}
