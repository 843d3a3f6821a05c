import { folderLabel } from '../domain/folder.js';
import type { ConfigChangeProblem } from '../domain/rotation-rules.js';
import type { RotationConfig } from '../domain/rotation-types.js';
import type { SecretsMapping } from '../domain/rotation-schemas.js';
import type { Queryable } from './db.js';
import { findRotationByName } from './rotations.js';
import { secretKeysTaken } from './secrets.js';

/** Where a rotation lives, as users write it (`production:/apps/shop`), and the folder's id. */
export interface RotationFolder {
  folderId: string;
  where: string;
}

/** A rotation's folder (by default the one its config names). */
export function rotationFolder(config: RotationConfig, folderId = config.folder.id): RotationFolder {
  return { folderId, where: folderLabel(config.environment.slug, config.folder.path) };
}

/** The rule "a rotation's name is unique in its folder", for create (`self` null) and rename. */
export async function nameTaken(db: Queryable, folder: RotationFolder, name: string, self: string | null): Promise<ConfigChangeProblem | null> {
  const other = await findRotationByName(db, folder.folderId, name);
  return other && other.id !== self ? nameTakenProblem(folder, name) : null;
}

/** Also what a unique violation on (folder, name) means, when two requests raced past `nameTaken`. */
export function nameTakenProblem(folder: Pick<RotationFolder, 'where'>, name: string): ConfigChangeProblem {
  return { field: 'name', rule: `must be unique in ${folder.where}: "${name}" exists` };
}

/**
 * The rule "mapped secrets are new names in the folder": for create (`self` null) and for a changed mapping,
 * where the rotation's own current secrets do not count as taken.
 */
export async function secretNamesTaken(
  db: Queryable,
  folder: RotationFolder,
  wanted: SecretsMapping,
  self: { rotationId: string; secretsMapping: SecretsMapping } | null,
): Promise<ConfigChangeProblem | null> {
  const own: string[] = self ? Object.values(self.secretsMapping) : [];
  const keys = [wanted.username, wanted.password].filter((k) => !own.includes(k));
  const found = keys.length > 0 ? await secretKeysTaken(db, folder.folderId, keys, self?.rotationId ?? null) : [];
  const taken = keys.filter((k) => found.includes(k)); // in the mapping's order (username, password), not the table's
  return taken.length > 0 ? { field: 'secretsMapping', rule: `must name secrets not already in ${folder.where}: ${taken.join(', ')} exist` } : null;
}
