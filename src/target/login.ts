import type pg from 'pg';
import { redact } from '../domain/errors.js';
import { isUnavailable } from '../domain/failures.js';
import type { TargetConnection } from '../store/connections.js';
import { pgCode } from './admin.js';
import type { TargetLogin, TargetSessions } from './sessions.js';

export type LoginOutcome =
  | { ok: true }
  | {
      ok: false;
      /** SQLSTATE of the refusal, when the server gave one. */
      code: string | undefined;
      /** The server refused this password (28P01): it is not the role's password. */
      passwordRefused: boolean;
      /** The server could not be reached (refused, unknown host, shutting down): nothing was learnt about the login. */
      unreachable: boolean;
      /** Why, with the password redacted. */
      message: string;
    };

export interface LoginCheckOptions {
  /** Ends the wait for a slot (the activity's cancellation). */
  signal?: AbortSignal;
  /** More work in the logged-in session, e.g. identifying the cluster; its failure is the check's. */
  then?: (client: pg.Client) => Promise<void>;
}

/**
 * Logs in to the connection's database as `login` and runs SELECT 1, within the cluster's cap. The one login
 * check: verifying a new password, the drift check and proving a connection's credentials all use it.
 * Throws only when `signal` aborts the wait for a slot.
 */
export async function checkLogin(sessions: TargetSessions, c: TargetConnection, login: TargetLogin, options: LoginCheckOptions = {}): Promise<LoginOutcome> {
  const { signal, then } = options;
  try {
    await sessions.run(
      c,
      login,
      async (client) => {
        await client.query('SELECT 1');
        await then?.(client);
      },
      signal,
    );
    return { ok: true };
  } catch (err) {
    if (signal?.aborted) throw err;
    const code = pgCode(err);
    const message = redact(err instanceof Error ? err.message : String(err), [login.password]);
    return { ok: false, code, passwordRefused: code === '28P01', unreachable: isUnavailable(err), message };
  }
}
