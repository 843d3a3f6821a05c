/**
 * API bearer tokens: the actions a token may be scoped to and the body that creates one. Messages are rules
 * ("must …") so that `formatZodError` can prefix the field path.
 */
import { z } from 'zod';
import { displayNameSchema } from './project-schemas.js';
import { uuidSchema } from './rotation-schemas.js';

export const TOKEN_ACTIONS = ['read', 'create', 'edit', 'delete', 'rotate', 'read-generated-credentials', 'read-secrets'] as const;

export type TokenAction = (typeof TOKEN_ACTIONS)[number];

export function isTokenAction(s: string): s is TokenAction {
  return (TOKEN_ACTIONS as readonly string[]).includes(s);
}

const typeError = (expected: string) => ({
  error: (iss: { code?: string; input?: unknown }) =>
    iss.code === 'invalid_type' ? (iss.input === undefined ? 'is required' : `must be ${expected}`) : undefined,
});

export const tokenActionSchema = z.enum(TOKEN_ACTIONS, { error: `must be one of ${TOKEN_ACTIONS.join(', ')}` });

export const tokenActionsSchema = z
  .array(tokenActionSchema, typeError(`an array of actions (${TOKEN_ACTIONS.join(', ')})`))
  .min(1, { error: `must name at least one action (${TOKEN_ACTIONS.join(', ')})` })
  .superRefine((actions, ctx) => {
    const repeated = actions.filter((a, i) => actions.indexOf(a) !== i);
    if (repeated.length > 0) ctx.addIssue({ code: 'custom', message: `must not repeat an action: ${[...new Set(repeated)].join(', ')}` });
  });

export const createTokenSchema = z.strictObject(
  {
    name: displayNameSchema,
    projectId: uuidSchema,
    actions: tokenActionsSchema,
  },
  typeError('a JSON object { name, projectId, actions }'),
);

export type CreateTokenInput = z.output<typeof createTokenSchema>;

/** Who a bearer token is and what it may do (never the token itself). */
export const tokenInfoSchema = z.object({
  name: z.string(),
  /** null: all projects (the admin token). */
  projectId: z.string().nullable(),
  actions: z.array(z.enum(TOKEN_ACTIONS)),
});
export type TokenInfo = z.output<typeof tokenInfoSchema>;
