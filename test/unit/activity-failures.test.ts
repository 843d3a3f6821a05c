// How an activity's failure reads: "<message>. To fix: <fix>" (one full stop, never two, never none).
import { ApplicationFailure } from '@temporalio/activity';
import { describe, expect, it } from 'vitest';
import { guarded } from '../../src/activities/failures.js';
import { ConfigurationError } from '../../src/domain/errors.js';
import { configurationFix, withFix } from '../../src/domain/failures.js';

async function failureOf(err: Error): Promise<ApplicationFailure> {
  try {
    await guarded(async () => {
      throw err;
    });
  } catch (thrown) {
    expect(thrown).toBeInstanceOf(ApplicationFailure);
    return thrown as ApplicationFailure;
  }
  throw new Error('guarded did not throw');
}

describe('guarded: configuration errors carry their fix after the message', () => {
  it.each([
    ['a message without a full stop gets one', 'role "a" may not log in', 'role "a" may not log in. To fix: ALTER ROLE "a" LOGIN;'],
    ['a message ending with a full stop keeps exactly one', 'role "a" may not log in.', 'role "a" may not log in. To fix: ALTER ROLE "a" LOGIN;'],
    ['a question mark is a sentence end too', 'is "a" a login role?', 'is "a" a login role? To fix: ALTER ROLE "a" LOGIN;'],
  ])('%s', async (_label, message, expected) => {
    const f = await failureOf(new ConfigurationError('ROLE_CANNOT_LOGIN', message, 'ALTER ROLE "a" LOGIN;'));
    expect(f.message).toBe(expected);
    expect(f.message).not.toMatch(/\.\.|[^.?!] To fix:/);
    expect(f.nonRetryable).toBe(true);
    expect(f.type).toBe('ConfigurationError');
  });

  it.each([
    ['no full stop', 'role "a" may not log in', 'role "a" may not log in'],
    ['a full stop', 'role "a" may not log in.', 'role "a" may not log in'],
    ['a question mark', 'is "a" a login role?', 'is "a" a login role?'],
  ])('configurationFix gives the fix as data and the problem without it (message with %s)', async (_label, message, problem) => {
    const f = await failureOf(new ConfigurationError('ROLE_CANNOT_LOGIN', message, 'ALTER ROLE "a" LOGIN;'));
    const wrapped = new Error('issuing credentials failed', { cause: f });
    expect(configurationFix(wrapped)).toEqual({ problem, fix: 'ALTER ROLE "a" LOGIN;' });
    expect(withFix(problem, 'ALTER ROLE "a" LOGIN;')).toBe(f.message);
  });

  it('configurationFix is null without a fix', async () => {
    expect(configurationFix(await failureOf(new ConfigurationError('DATABASE_MISSING', 'database "x" does not exist')))).toBeNull();
  });

  it('without a fix the message stands alone', async () => {
    const f = await failureOf(new ConfigurationError('DATABASE_MISSING', 'database "x" does not exist'));
    expect(f.message).toBe('database "x" does not exist');
  });

  it('the fix is redacted too', async () => {
    const f = await failureOf(new ConfigurationError('X', 'bad', "ALTER ROLE a PASSWORD 'hunter2';"));
    expect(f.message).toBe("bad. To fix: ALTER ROLE a PASSWORD '[REDACTED]';");
  });

  it('other errors stay retryable and have no fix', async () => {
    const f = await failureOf(new Error('the role is locked'));
    expect(f.message).toBe('the role is locked');
    expect(f.nonRetryable).toBe(false);
  });
});
