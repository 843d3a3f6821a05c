import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DIGITS, fillAlphabet, generatePassword, LOWERCASE, UPPERCASE, type RandomInt } from '../../src/domain/password.js';
import { passwordRequirementsSchema, type PasswordRequirements } from '../../src/domain/rotation-schemas.js';

const req = (r: unknown): PasswordRequirements => passwordRequirementsSchema.parse(r);

const count = (s: string, alphabet: string): number => [...s].filter((c) => alphabet.includes(c)).length;

describe('generatePassword: requirements hold on every sample', () => {
  const SAMPLES = 5000;
  it.each([
    { name: 'defaults (48, 1/1/1/0)', r: req({}) },
    { name: 'length 1, one digit', r: req({ length: 1, required: { digits: 1, lowercase: 0, uppercase: 0, symbols: 0 } }) },
    { name: 'length 1, one symbol', r: req({ length: 1, required: { digits: 0, lowercase: 0, uppercase: 0, symbols: 1 } }) },
    { name: 'length 250', r: req({ length: 250 }) },
    {
      name: 'all symbols',
      r: req({ length: 12, required: { digits: 0, lowercase: 0, uppercase: 0, symbols: 12 }, allowedSymbols: '!@#$%^&*()' }),
    },
    { name: 'sum == length', r: req({ length: 8, required: { digits: 2, lowercase: 2, uppercase: 2, symbols: 2 } }) },
    { name: 'sum == length == 250', r: req({ length: 250, required: { digits: 100, lowercase: 50, uppercase: 50, symbols: 50 } }) },
    { name: 'symbols allowed but not required → none used', r: req({ length: 32, allowedSymbols: '#%' }) },
    { name: 'quote and backslash symbols', r: req({ length: 10, required: { digits: 0, lowercase: 0, uppercase: 0, symbols: 3 }, allowedSymbols: `'"\\` }) },
    { name: 'many required of one class', r: req({ length: 20, required: { digits: 0, lowercase: 0, uppercase: 19, symbols: 0 } }) },
  ])('$name', ({ r }) => {
    const allowed = new Set([...fillAlphabet(r), ...DIGITS, ...LOWERCASE, ...UPPERCASE, ...(r.required.symbols > 0 ? r.allowedSymbols : '')]);
    const symbols = r.required.symbols > 0 ? r.allowedSymbols : '';
    const seen = new Set<string>();
    // Plain checks collected into one assertion: an expect() per character makes this 100× slower.
    const violations: string[] = [];
    for (let n = 0; n < SAMPLES; n++) {
      const p = generatePassword(r);
      const bad =
        p.length !== r.length ? 'length' :
        !/^[\x21-\x7e]+$/.test(p) ? 'not printable ASCII' :
        [...p].some((ch) => !allowed.has(ch)) ? 'character outside the allowed set' :
        count(p, DIGITS) < r.required.digits ? 'digits' :
        count(p, LOWERCASE) < r.required.lowercase ? 'lowercase' :
        count(p, UPPERCASE) < r.required.uppercase ? 'uppercase' :
        symbols !== '' && count(p, symbols) < r.required.symbols ? 'symbols' :
        symbols === '' && count(p, r.allowedSymbols) > 0 ? 'unrequested symbol' :
        null;
      if (bad && violations.length < 5) violations.push(`${bad}: ${p}`);
      seen.add(p);
    }
    expect(violations).toEqual([]);
    // Long passwords never repeat; short ones at least vary.
    if (r.length >= 12) expect(seen.size).toBe(SAMPLES);
    else expect(seen.size).toBeGreaterThan(1);
  });
});

describe('generatePassword: input checks', () => {
  it.each([
    ['sum > length', { length: 2, required: { digits: 1, lowercase: 1, uppercase: 1, symbols: 0 }, allowedSymbols: '-' }],
    ['nothing required', { length: 8, required: { digits: 0, lowercase: 0, uppercase: 0, symbols: 0 }, allowedSymbols: '-' }],
    ['non-ASCII symbol', { length: 8, required: { digits: 1, lowercase: 1, uppercase: 1, symbols: 1 }, allowedSymbols: '€' }],
    ['length 0', { length: 0, required: { digits: 0, lowercase: 0, uppercase: 0, symbols: 0 }, allowedSymbols: '-' }],
  ])('%s is refused', (_name, r) => {
    expect(() => generatePassword(r as PasswordRequirements)).toThrow();
  });

  it.each([
    ['too large', (max: number) => max],
    ['negative', () => -1],
    ['fractional', () => 0.5],
  ])('a randomInt that returns %s values is refused', (_name, bad) => {
    expect(() => generatePassword(req({ length: 8 }), bad)).toThrow(RangeError);
  });

  it('uses the injected randomInt for picks and the shuffle', () => {
    // Picks: '0', 'a', 'A'; Fisher–Yates with j = 0: swap(2,0) → A a 0; swap(1,0) → a A 0.
    expect(generatePassword(req({ length: 3 }), () => 0)).toBe('aA0');
  });
});

/**
 * Chi-square goodness of fit of the character at each position against the exact expected distribution:
 * after a uniform shuffle, each position holds a uniformly chosen one of the pre-shuffle slots, so
 * P(c) = (1/length) · Σ_slots P_slot(c). Tested per position at family-wise p = 0.001 (Bonferroni).
 */
function chiSquareByPosition(r: PasswordRequirements, randomInt: RandomInt | undefined, samples: number) {
  const fill = fillAlphabet(r);
  const slotAlphabets: string[] = [
    ...Array<string>(r.required.digits).fill(DIGITS),
    ...Array<string>(r.required.lowercase).fill(LOWERCASE),
    ...Array<string>(r.required.uppercase).fill(UPPERCASE),
    ...Array<string>(r.required.symbols).fill(r.allowedSymbols),
  ];
  while (slotAlphabets.length < r.length) slotAlphabets.push(fill);
  const categories = [...new Set(slotAlphabets.join(''))];
  const expectedP = new Map<string, number>(categories.map((c) => [c, 0]));
  for (const alphabet of slotAlphabets) {
    for (const c of alphabet) expectedP.set(c, (expectedP.get(c) ?? 0) + 1 / alphabet.length / r.length);
  }

  const counts = Array.from({ length: r.length }, () => new Map<string, number>());
  for (let n = 0; n < samples; n++) {
    const p = generatePassword(r, randomInt);
    for (let i = 0; i < p.length; i++) {
      const m = counts[i]!;
      m.set(p[i]!, (m.get(p[i]!) ?? 0) + 1);
    }
  }
  const stats = counts.map((m) => {
    let chi = 0;
    for (const c of categories) {
      const e = expectedP.get(c)! * samples;
      const o = m.get(c) ?? 0;
      chi += ((o - e) * (o - e)) / e;
    }
    return chi;
  });
  return { stats, df: categories.length - 1, minExpected: Math.min(...[...expectedP.values()]) * samples };
}

describe('generatePassword: no bias (chi-square)', () => {
  // Length 16 with 1/1/1/0: the fill alphabet has 62 characters — not a power of two, so `byte % 62` is biased.
  const r = req({ length: 16 });
  const SAMPLES = 20_000;
  // scipy.stats.chi2.ppf(1 - 0.001 / 16, 61): p = 0.001 family-wise over the 16 positions.
  const CRITICAL_DF61 = 112.759;

  it('crypto.randomInt passes at every position', () => {
    const { stats, df, minExpected } = chiSquareByPosition(r, undefined, SAMPLES);
    expect(df).toBe(61);
    expect(minExpected).toBeGreaterThan(5); // the chi-square approximation is valid
    const failing = stats.map((s, i) => [i, s] as const).filter(([, s]) => s > CRITICAL_DF61);
    expect(failing).toEqual([]);
  });

  it('the same check flags a modulo-of-a-byte randomInt (so it can fail)', () => {
    let pool = randomBytes(0);
    let at = 0;
    const biased: RandomInt = (max) => {
      if (at >= pool.length) {
        pool = randomBytes(65536);
        at = 0;
      }
      return pool[at++]! % max; // the classic mistake: 256 % 62 = 8 characters get 5/256 instead of 4/256
    };
    const { stats } = chiSquareByPosition(r, biased, SAMPLES);
    // The bias is caught at most positions (≈ 95% each), not by luck at one of them.
    const failing = stats.filter((s) => s > CRITICAL_DF61);
    expect(failing.length).toBeGreaterThanOrEqual(8);
  });
});
