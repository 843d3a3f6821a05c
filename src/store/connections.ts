import { randomUUID } from 'node:crypto';
import { aad, type SecretBox } from './secret-box.js';
import type { ControlDb, Queryable } from './db.js';

/** Admin connection to one target database. The password is write-only: it is never part of this record. */
export interface TargetConnection {
  id: string;
  projectId: string;
  name: string;
  description: string | null;
  host: string;
  port: number;
  database: string;
  username: string;
  sslEnabled: boolean;
  sslRejectUnauthorized: boolean;
  sslCertificate: string | null;
  /** The PostgreSQL cluster it reaches (src/target/cluster-identity.ts); null until first identified. */
  clusterId: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface NewConnection {
  projectId: string;
  name: string;
  description?: string | null;
  host: string;
  port: number;
  database: string;
  username: string;
  password: string;
  sslEnabled: boolean;
  sslRejectUnauthorized: boolean;
  sslCertificate?: string | null;
  /** The PostgreSQL cluster it reaches (src/target/cluster-identity.ts). */
  clusterId: string;
}

const COLUMNS = `id, project_id, name, description, host, port, database, username, ssl_enabled,
  ssl_reject_unauthorized, ssl_certificate, cluster_id, created_at, updated_at`;

function fromRow(r: Record<string, unknown>): TargetConnection {
  return {
    id: r.id as string,
    projectId: r.project_id as string,
    name: r.name as string,
    description: (r.description as string | null) ?? null,
    host: r.host as string,
    port: r.port as number,
    database: r.database as string,
    username: r.username as string,
    sslEnabled: r.ssl_enabled as boolean,
    sslRejectUnauthorized: r.ssl_reject_unauthorized as boolean,
    sslCertificate: (r.ssl_certificate as string | null) ?? null,
    clusterId: (r.cluster_id as string | null) ?? null,
    createdAt: (r.created_at as Date).toISOString(),
    updatedAt: (r.updated_at as Date).toISOString(),
  };
}

export async function insertConnection(db: ControlDb, input: NewConnection): Promise<TargetConnection> {
  const id = randomUUID();
  const { rows } = await db.pool.query(
    `INSERT INTO connections (id, project_id, name, description, host, port, database, username, password_enc,
       ssl_enabled, ssl_reject_unauthorized, ssl_certificate, cluster_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING ${COLUMNS}`,
    [
      id,
      input.projectId,
      input.name,
      input.description ?? null,
      input.host,
      input.port,
      input.database,
      input.username,
      db.box.seal(input.password, aad.connectionPassword(id)),
      input.sslEnabled,
      input.sslRejectUnauthorized,
      input.sslCertificate ?? null,
      input.clusterId,
    ],
  );
  return fromRow(rows[0]);
}

export async function getConnection(db: Queryable, id: string): Promise<TargetConnection | null> {
  const { rows } = await db.query(`SELECT ${COLUMNS} FROM connections WHERE id = $1`, [id]);
  return rows[0] ? fromRow(rows[0]) : null;
}

export async function findConnectionByName(db: Queryable, projectId: string, name: string): Promise<TargetConnection | null> {
  const { rows } = await db.query(`SELECT ${COLUMNS} FROM connections WHERE project_id = $1 AND name = $2`, [projectId, name]);
  return rows[0] ? fromRow(rows[0]) : null;
}

export async function listConnections(db: Queryable, projectId?: string): Promise<TargetConnection[]> {
  const { rows } = await db.query(
    `SELECT ${COLUMNS} FROM connections WHERE ($1::uuid IS NULL OR project_id = $1) ORDER BY created_at, name`,
    [projectId ?? null],
  );
  return rows.map(fromRow);
}

/**
 * The admin password, decrypted: for the code that talks to the target, nothing else. `client`: the caller's
 * transaction, when it holds one.
 */
export async function readConnectionPassword(db: Queryable, box: SecretBox, id: string): Promise<string> {
  const { rows } = await db.query('SELECT password_enc FROM connections WHERE id = $1', [id]);
  if (!rows[0]) throw new Error(`connection ${id} not found`);
  return box.open(rows[0].password_enc, aad.connectionPassword(id));
}

/**
 * The connection's cluster id (null: a row older than recorded clusters), locking the row until the transaction
 * ends, so that the cluster cannot change under a rotation being created on it (nor two transactions set it).
 */
export async function lockClusterId(tx: Queryable, id: string): Promise<string | null> {
  const { rows } = await tx.query('SELECT cluster_id FROM connections WHERE id = $1 FOR NO KEY UPDATE', [id]);
  return (rows[0]?.cluster_id as string | null | undefined) ?? null;
}

export async function setClusterId(tx: Queryable, id: string, clusterId: string): Promise<void> {
  await tx.query('UPDATE connections SET cluster_id = $2 WHERE id = $1', [id, clusterId]);
}

export async function connectionInUse(db: Queryable, id: string): Promise<string[]> {
  const { rows } = await db.query('SELECT name FROM rotations WHERE connection_id = $1 ORDER BY name', [id]);
  return rows.map((r) => r.name as string);
}

export async function deleteConnection(db: Queryable, id: string): Promise<boolean> {
  const { rowCount } = await db.query('DELETE FROM connections WHERE id = $1', [id]);
  return (rowCount ?? 0) > 0;
}

/**
 * Writes a connection's new settings (and, when given, its new password) and the cluster they reach (null: rows
 * older than recorded clusters); returns the stored record.
 */
export async function updateConnectionRow(
  db: ControlDb,
  client: Queryable,
  c: TargetConnection,
  password: string | null,
  clusterId: string | null,
): Promise<TargetConnection> {
  const { rows } = await client.query(
    `UPDATE connections SET name = $2, description = $3, host = $4, port = $5, database = $6, username = $7,
       ssl_enabled = $8, ssl_reject_unauthorized = $9, ssl_certificate = $10,
       password_enc = COALESCE($11, password_enc), cluster_id = $12, updated_at = now()
     WHERE id = $1 RETURNING ${COLUMNS}`,
    [
      c.id,
      c.name,
      c.description,
      c.host,
      c.port,
      c.database,
      c.username,
      c.sslEnabled,
      c.sslRejectUnauthorized,
      c.sslCertificate,
      password === null ? null : db.box.seal(password, aad.connectionPassword(c.id)),
      clusterId,
    ],
  );
  // Rotations show the connection's name; keep their stored copy in step.
  await client.query(`UPDATE rotations SET config = jsonb_set(config, '{connection,name}', to_jsonb($2::text)) WHERE connection_id = $1`, [
    c.id,
    c.name,
  ]);
  return fromRow(rows[0]);
}
