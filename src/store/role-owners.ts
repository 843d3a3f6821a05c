import type { Queryable } from './db.js';

/** The rotation that owns a role on a cluster, with what a user needs to find it. */
export interface RoleOwner {
  roleName: string;
  rotationId: string;
  rotationName: string;
  projectId: string;
  projectName: string;
  environment: string;
  secretPath: string;
}

/**
 * Claims the roles on the cluster for the rotation, in the caller's transaction, and returns the owners of those
 * another rotation holds (none: all are the rotation's). A concurrent claim of the same role waits for the other
 * transaction and then sees its owner; roles are claimed in one order so that two claims cannot deadlock.
 */
export async function claimRoles(tx: Queryable, clusterId: string, rotationId: string, roles: readonly string[]): Promise<RoleOwner[]> {
  const sorted = [...roles].sort();
  await tx.query(
    `INSERT INTO role_owners (cluster_id, role_name, rotation_id)
     SELECT $1, role, $2 FROM unnest($3::text[]) WITH ORDINALITY AS u(role, n) ORDER BY n
     ON CONFLICT DO NOTHING`,
    [clusterId, rotationId, sorted],
  );
  const { rows } = await tx.query(
    `SELECT o.role_name, r.id, r.name, p.id AS project_id, p.name AS project_name, f.environment, f.path
     FROM role_owners o
     JOIN rotations r ON r.id = o.rotation_id
     JOIN folders f ON f.id = r.folder_id
     JOIN projects p ON p.id = r.project_id
     WHERE o.cluster_id = $1 AND o.role_name = ANY($2::text[]) AND o.rotation_id <> $3
     ORDER BY o.role_name`,
    [clusterId, sorted, rotationId],
  );
  return rows.map((r) => ({
    roleName: r.role_name as string,
    rotationId: r.id as string,
    rotationName: r.name as string,
    projectId: r.project_id as string,
    projectName: r.project_name as string,
    environment: r.environment as string,
    secretPath: r.path as string,
  }));
}

/**
 * Records the roles of the rotations already on a connection whose cluster has just become known (a row made
 * before clusters were recorded). Where two of them name the same role, the older keeps it.
 */
export async function adoptRoles(tx: Queryable, connectionId: string, clusterId: string): Promise<void> {
  await tx.query(
    `INSERT INTO role_owners (cluster_id, role_name, rotation_id)
     SELECT $2, u.role, r.id
     FROM rotations r
     CROSS JOIN LATERAL (VALUES (r.config #>> '{parameters,username1}'), (r.config #>> '{parameters,username2}')) AS u(role)
     WHERE r.connection_id = $1
     ORDER BY r.created_at, u.role
     ON CONFLICT DO NOTHING`,
    [connectionId, clusterId],
  );
}
