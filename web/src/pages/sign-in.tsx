import { useState } from 'preact/hooks';
import { api, ApiError, session, type TokenInfo } from '../api.js';
import { Field } from '../ui.js';

/** Sign-in with an API token: checked against the API, then kept in sessionStorage (this tab only). */
export function SignIn({ onSignedIn, expired }: { onSignedIn: (t: TokenInfo) => void; expired: boolean }) {
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    const token = value.trim();
    if (!token) return setError('Enter an API token.');
    setBusy(true);
    try {
      const r = await api<{ token: TokenInfo }>('GET', '/api/v1/auth/token', undefined, token);
      session.save(token);
      setValue('');
      onSignedIn(r.token);
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? 'This token is not valid (wrong, or revoked).' : err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="sign-in">
      <h1>pg-rotator</h1>
      <p>Zero-downtime rotation of PostgreSQL passwords. Sign in with an API token.</p>
      {expired && (
        <p class="notice" role="status">
          Your token was refused or you were signed out; sign in again.
        </p>
      )}
      <form onSubmit={submit} autoComplete="off">
        <Field
          id="token"
          label="API token"
          type="password"
          value={value}
          onInput={(v) => {
            setValue(v);
            setError(undefined);
          }}
          error={error}
          hint={
            <>
              <code>ROTATOR_ADMIN_TOKEN</code> (with <code>npm run dev</code>: <code>.data/dev/admin.token</code>), or a project token from{' '}
              <code>pg-rotator token create</code>. It stays in this browser tab only and is forgotten when you sign out.
            </>
          }
          input={{ autoComplete: 'off', spellcheck: false }}
        />
        <button type="submit" class="btn primary" disabled={busy}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
