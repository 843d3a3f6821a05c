import type { RotationConfig, RotationState } from '../domain/rotation-types.js';
import type { Queryable } from './db.js';

export interface RotationRecord {
  id: string;
  projectId: string;
  folderId: string;
  name: string;
  connectionId: string;
  config: RotationConfig;
  state: RotationState | null;
  lifecycle: 'issuing' | 'active';
}

function fromRow(r: Record<string, unknown>): RotationRecord {
  return {
    id: r.id as string,
    projectId: r.project_id as string,
    folderId: r.folder_id as string,
    name: r.name as string,
    connectionId: r.connection_id as string,
    config: r.config as RotationConfig,
    state: (r.state as RotationState | null) ?? null,
    lifecycle: r.lifecycle as 'issuing' | 'active',
  };
}

const COLUMNS = 'id, project_id, folder_id, name, connection_id, config, state, lifecycle';

/** The folder (project, environment, path) that holds mapped secrets; created on first use. */
export async function ensureFolder(db: Queryable, projectId: string, environment: string, path: string): Promise<string> {
  const { rows } = await db.query(
    `INSERT INTO folders (project_id, environment, path) VALUES ($1, $2, $3)
     ON CONFLICT (project_id, environment, path) DO UPDATE SET path = EXCLUDED.path RETURNING id`,
    [projectId, environment, path],
  );
  return rows[0].id as string;
}

export async function findFolder(db: Queryable, projectId: string, environment: string, path: string): Promise<string | null> {
  const { rows } = await db.query('SELECT id FROM folders WHERE project_id = $1 AND environment = $2 AND path = $3', [
    projectId,
    environment,
    path,
  ]);
  return (rows[0]?.id as string | undefined) ?? null;
}

export async function insertRotation(db: Queryable, id: string, config: RotationConfig): Promise<void> {
  await db.query(
    `INSERT INTO rotations (id, project_id, folder_id, name, connection_id, config, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $7)`,
    [id, config.projectId, config.folder.id, config.name, config.connection.id, JSON.stringify(config), config.createdAt],
  );
}

export async function getRotation(db: Queryable, id: string, forUpdate = false): Promise<RotationRecord | null> {
  const { rows } = await db.query(`SELECT ${COLUMNS} FROM rotations WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [id]);
  return rows[0] ? fromRow(rows[0]) : null;
}

export async function findRotationByName(db: Queryable, folderId: string, name: string): Promise<RotationRecord | null> {
  const { rows } = await db.query(`SELECT ${COLUMNS} FROM rotations WHERE folder_id = $1 AND name = $2`, [folderId, name]);
  return rows[0] ? fromRow(rows[0]) : null;
}

/** In creation order (id breaks ties, so pages never overlap); without a limit, every rotation from the offset on. */
export async function listRotations(db: Queryable, projectId?: string, page: { limit?: number; offset?: number } = {}): Promise<RotationRecord[]> {
  const { rows } = await db.query(
    `SELECT ${COLUMNS} FROM rotations WHERE ($1::uuid IS NULL OR project_id = $1) ORDER BY created_at, name, id
     LIMIT $2 OFFSET $3`,
    [projectId ?? null, page.limit ?? null, page.offset ?? 0],
  );
  return rows.map(fromRow);
}

export async function countRotations(db: Queryable, projectId: string): Promise<number> {
  const { rows } = await db.query('SELECT count(*)::int AS n FROM rotations WHERE project_id = $1', [projectId]);
  return rows[0].n as number;
}

export async function updateRotationConfig(db: Queryable, id: string, config: RotationConfig): Promise<void> {
  await db.query('UPDATE rotations SET config = $2, name = $3, updated_at = $4 WHERE id = $1', [
    id,
    JSON.stringify(config),
    config.name,
    config.updatedAt,
  ]);
}

export async function saveRotationState(db: Queryable, id: string, state: RotationState): Promise<void> {
  await db.query(
    `UPDATE rotations SET state = $2, updated_at = now(),
       lifecycle = CASE WHEN $3 THEN 'active' ELSE lifecycle END WHERE id = $1`,
    [id, JSON.stringify(state), state.activeIndex !== null],
  );
}

export async function deleteRotationRow(db: Queryable, id: string): Promise<void> {
  await db.query('DELETE FROM rotations WHERE id = $1', [id]);
}
