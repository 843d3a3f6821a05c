/**
 * Turning flags into request bodies. Flags are passed through as raw as possible (numbers only when they look
 * like numbers) so that the zod schemas stay the one definition of every rule; an error about a body field is
 * then pointed back at the flag that set it.
 */
import { z } from 'zod';
import { createRotationSchema } from '../domain/rotation-schemas.js';
import { parseInput } from '../service/errors.js';
import type { FlagForField } from './errors.js';

const projectIdSchema = z.strictObject({ projectId: createRotationSchema.shape.projectId.optional() });

/** A `--project` filter: a UUID, or undefined for all projects. */
export function projectIdOption(raw: string | undefined): string | undefined {
  return parseInput(projectIdSchema, { projectId: raw }).projectId;
}

const NUMBER_LITERAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i;

/** "30" → 30, "1.5" → 1.5, "-1" → -1; anything else stays a string so that the schema reports it. */
export function numberOrRaw(raw: string): number | string {
  const t = raw.trim();
  return NUMBER_LITERAL.test(t) ? Number(t) : raw;
}

/** "read, rotate" → ['read', 'rotate']; empty items are kept (as "") so that the schema reports them. */
export function splitList(raw: string | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  return raw.split(',').map((s) => s.trim());
}

/** Drops keys whose value is undefined, so a body looks as if it were written by hand in JSON. */
export function compact<T extends Record<string, unknown>>(obj: T): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) if (v !== undefined) out[k] = v;
  return out as Partial<T>;
}

/** Sets `a.b.c` in a body, creating the objects on the way. */
export function setPath(body: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  const last = keys.pop()!;
  let obj = body;
  for (const k of keys) {
    const next = obj[k];
    obj = (obj[k] = typeof next === 'object' && next !== null ? { ...(next as Record<string, unknown>) } : {}) as Record<string, unknown>;
  }
  obj[last] = value;
}

/**
 * The flag for a field path, from a field → flag table: the field's own flag or its nearest parent's
 * (`rotateAtUtc.hours` → `--rotate-at`); undefined when none sets it.
 */
export function flagHints(flagByField: Readonly<Record<string, string>>): FlagForField {
  const parent = (f: string) => {
    // The parent of `a.b` and of `a[1]` is `a`; of `a`, nothing.
    const up = f.replace(/(?:\.[^.[\]]*|\[\d+\])$/, '');
    return up === f ? '' : up;
  };
  return (field) => {
    for (let f = field; f !== ''; f = parent(f)) {
      const flag = flagByField[f];
      if (flag) return flag;
    }
    return undefined;
  };
}
