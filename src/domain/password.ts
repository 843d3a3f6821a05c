/**
 * Password generation per passwordRequirements (docs/design.md §4 stagePassword).
 *
 * Character policy: the required counts are drawn from their classes first; the remaining characters come
 * from lowercase + uppercase + digits, plus `allowedSymbols` only when `required.symbols > 0`. Letters and
 * digits are always safe in URLs, shells and config files; symbols are opt-in because they are what breaks
 * those. (Infisical fills the rest only from classes with a count > 0; we keep letters and digits
 * always, which never lowers entropy.)
 *
 * Only printable ASCII is produced — scram.ts relies on it (SASLprep is the identity there).
 */
import { randomInt as cryptoRandomInt } from 'node:crypto';
import { passwordRequirementsSchema, type PasswordRequirements } from './rotation-schemas.js';

export const LOWERCASE = 'abcdefghijklmnopqrstuvwxyz';
export const UPPERCASE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
export const DIGITS = '0123456789';

/** Uniform integer in [0, maxExclusive). crypto.randomInt rejects-and-retries internally, so it is unbiased. */
export type RandomInt = (maxExclusive: number) => number;

const defaultRandomInt: RandomInt = (max) => cryptoRandomInt(max);

/** The alphabet the non-required characters are drawn from (see the policy above). */
export function fillAlphabet(req: PasswordRequirements): string {
  return LOWERCASE + UPPERCASE + DIGITS + (req.required.symbols > 0 ? req.allowedSymbols : '');
}

export function generatePassword(req: PasswordRequirements, randomInt: RandomInt = defaultRandomInt): string {
  // Re-validate: callers may pass stored or hand-built requirements, and an invalid set (e.g. non-ASCII
  // symbols) must fail loudly rather than yield a password the SCRAM module cannot handle.
  const r = passwordRequirementsSchema.parse(req);

  const pick = (alphabet: string): string => {
    const i = randomInt(alphabet.length);
    if (!Number.isInteger(i) || i < 0 || i >= alphabet.length) {
      throw new RangeError(`randomInt(${alphabet.length}) returned ${i}`);
    }
    return alphabet[i] as string;
  };

  const chars: string[] = [];
  const classes: [number, string][] = [
    [r.required.digits, DIGITS],
    [r.required.lowercase, LOWERCASE],
    [r.required.uppercase, UPPERCASE],
    [r.required.symbols, r.allowedSymbols],
  ];
  for (const [count, alphabet] of classes) {
    for (let k = 0; k < count; k++) chars.push(pick(alphabet));
  }
  const fill = fillAlphabet(r);
  while (chars.length < r.length) chars.push(pick(fill));

  // Fisher–Yates: every permutation equally likely, so required characters land at uniform positions.
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    if (!Number.isInteger(j) || j < 0 || j > i) throw new RangeError(`randomInt(${i + 1}) returned ${j}`);
    const tmp = chars[i] as string;
    chars[i] = chars[j] as string;
    chars[j] = tmp;
  }
  return chars.join('');
}
