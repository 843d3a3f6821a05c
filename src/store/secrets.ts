import type { SecretVersionInfo } from '../domain/secret-schemas.js';
import { aad } from './secret-box.js';
import type { Queryable } from './db.js';
import type { SecretBox } from './secret-box.js';

export interface SecretValue {
  id: string;
  secretKey: string;
  secretValue: string;
  version: number;
  rotationId: string | null;
  createdAt: string;
  updatedAt: string;
}

/** Writes a new version of a secret in a folder (creating the secret on first write). Returns the version. */
export async function writeSecretVersion(
  client: Queryable,
  box: SecretBox,
  input: { folderId: string; key: string; value: string; rotationId: string },
): Promise<number> {
  const { rows } = await client.query(
    `INSERT INTO secrets (folder_id, key, rotation_id) VALUES ($1, $2, $3)
     ON CONFLICT (folder_id, key) DO UPDATE SET updated_at = now(), rotation_id = EXCLUDED.rotation_id RETURNING id`,
    [input.folderId, input.key, input.rotationId],
  );
  const secretId = rows[0].id as string;
  const { rows: v } = await client.query(
    'SELECT COALESCE(MAX(version), 0) + 1 AS next FROM secret_versions WHERE secret_id = $1',
    [secretId],
  );
  const version = Number(v[0].next);
  await client.query('INSERT INTO secret_versions (secret_id, version, value_enc) VALUES ($1, $2, $3)', [
    secretId,
    version,
    box.seal(input.value, aad.secretVersion(secretId, version)),
  ]);
  return version;
}

/** Secret keys in the folder that belong to something other than this rotation (so a mapping may not take them). */
export async function secretKeysTaken(db: Queryable, folderId: string, keys: string[], exceptRotationId: string | null): Promise<string[]> {
  const { rows } = await db.query(
    `SELECT key FROM secrets WHERE folder_id = $1 AND key = ANY($2)
     AND (rotation_id IS DISTINCT FROM $3::uuid OR rotation_id IS NULL)`,
    [folderId, keys, exceptRotationId],
  );
  return rows.map((r) => r.key as string);
}

export async function renameSecret(db: Queryable, folderId: string, from: string, to: string): Promise<void> {
  await db.query('UPDATE secrets SET key = $3, updated_at = now() WHERE folder_id = $1 AND key = $2', [folderId, from, to]);
}

export async function deleteRotationSecrets(db: Queryable, rotationId: string): Promise<number> {
  const { rowCount } = await db.query('DELETE FROM secrets WHERE rotation_id = $1', [rotationId]);
  return rowCount ?? 0;
}

/** Latest (or a given) version of every secret in a folder, or of one key. */
export async function readSecrets(
  db: Queryable,
  box: SecretBox,
  filter: { folderId: string; key?: string; version?: number },
): Promise<SecretValue[]> {
  const { rows } = await db.query(
    `SELECT s.id, s.key, s.rotation_id, s.created_at, v.version, v.value_enc, v.created_at AS version_at
     FROM secrets s
     JOIN LATERAL (
       SELECT version, value_enc, created_at FROM secret_versions
       WHERE secret_id = s.id AND ($3::int IS NULL OR version = $3) ORDER BY version DESC LIMIT 1
     ) v ON true
     WHERE s.folder_id = $1 AND ($2::text IS NULL OR s.key = $2) ORDER BY s.key`,
    [filter.folderId, filter.key ?? null, filter.version ?? null],
  );
  return rows.map((r) => ({
    id: r.id,
    secretKey: r.key,
    secretValue: box.open(r.value_enc, aad.secretVersion(r.id, r.version)),
    version: r.version,
    rotationId: r.rotation_id,
    createdAt: (r.created_at as Date).toISOString(),
    updatedAt: (r.version_at as Date).toISOString(),
  }));
}

/** Every version of a rotation's mapped secrets, newest first, without values (nothing is decrypted). */
export async function listRotationSecretVersions(db: Queryable, rotationId: string, limit: number): Promise<SecretVersionInfo[]> {
  const { rows } = await db.query(
    `SELECT s.key, v.version, v.created_at FROM secrets s JOIN secret_versions v ON v.secret_id = s.id
     WHERE s.rotation_id = $1 ORDER BY v.created_at DESC, v.version DESC, s.key LIMIT $2`,
    [rotationId, limit],
  );
  return rows.map((r) => ({ secretKey: r.key, version: r.version, createdAt: (r.created_at as Date).toISOString() }));
}
