import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, CONN, type Connection, withQuery } from '../api.js';
import type { AppContext } from '../app.js';
import { go } from '../router.js';
import { ActionButton, ActionNotice, Check, Dialog, ErrorNotice, Field, Loading, Select } from '../ui.js';

/** Admin connections to target databases: add (credentials checked by the API), edit, delete; the password is write-only. */
export function ConnectionsPage({ ctx }: { ctx: AppContext }) {
  const project = ctx.project;
  const [list, setList] = useState<Connection[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [editing, setEditing] = useState<Connection | 'new' | null>(null);
  const [deleting, setDeleting] = useState<Connection | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  /** Loads the project's connections; returns a function that drops the answer if it comes too late. */
  const load = () => {
    if (!project) return undefined;
    let current = true; // see Dashboard: a late answer for another project is dropped
    api<{ appConnections: Connection[] }>('GET', withQuery(CONN, { projectId: project.id }))
      .then((r) => current && setList(r.appConnections))
      .catch((e: unknown) => current && setError(e));
    return () => {
      current = false;
    };
  };
  useEffect(load, [project?.id]);

  if (!project) return <p class="empty">No project.</p>;
  const t = ctx.token;
  return (
    <>
      <h1>Connections</h1>
      <div class="toolbar">
        <Select id="project" label="Project" value={project.id} onChange={(v) => go('/connections', { project: v })} options={ctx.projects.map((p) => ({ value: p.id, label: p.name }))} />
        <div class="toolbar-end">
          <ActionButton token={t} need="create" projectId={project.id} variant="primary" onClick={() => setEditing('new')}>
            Add connection
          </ActionButton>
        </div>
      </div>
      <ActionNotice notice={notice} />
      <ErrorNotice error={error} />
      {!list && !error && <Loading what="connections" />}
      {list && list.length === 0 && <p class="empty">No connections yet. A connection is an admin login (CREATEROLE) that may change the rotated roles' passwords.</p>}
      {list && list.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Server</th>
              <th scope="col">Admin user</th>
              <th scope="col">TLS</th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.map((c) => (
              <tr key={c.id} data-connection={c.name}>
                <td>
                  {c.name}
                  {c.description && <div class="muted small">{c.description}</div>}
                </td>
                <td>
                  {c.credentials.host}:{c.credentials.port}/{c.credentials.database}
                </td>
                <td>{c.credentials.username}</td>
                <td>{c.credentials.sslEnabled ? (c.credentials.sslRejectUnauthorized ? 'verified' : 'unverified') : 'off'}</td>
                <td class="row-actions">
                  <ActionButton token={t} need="edit" projectId={project.id} onClick={() => setEditing(c)}>
                    Edit <span class="sr-only">{c.name}</span>
                  </ActionButton>
                  <ActionButton token={t} need="delete" projectId={project.id} variant="danger" onClick={() => setDeleting(c)}>
                    Delete <span class="sr-only">{c.name}</span>
                  </ActionButton>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {editing && (
        <ConnectionForm
          projectId={project.id}
          existing={editing === 'new' ? null : editing}
          onClose={() => setEditing(null)}
          onSaved={(c) => {
            setEditing(null);
            setNotice(`Connection ${c.name} saved; its credentials log in.`);
            load();
          }}
        />
      )}
      {deleting && (
        <DeleteConnection
          c={deleting}
          onClose={() => setDeleting(null)}
          onDeleted={() => {
            setNotice(`Connection ${deleting.name} deleted.`);
            setDeleting(null);
            load();
          }}
        />
      )}
    </>
  );
}

function ConnectionForm({ projectId, existing, onClose, onSaved }: { projectId: string; existing: Connection | null; onClose: () => void; onSaved: (c: Connection) => void }) {
  const c = existing?.credentials;
  const [f, setF] = useState({
    name: existing?.name ?? '',
    description: existing?.description ?? '',
    host: c?.host ?? '',
    port: String(c?.port ?? 5432),
    database: c?.database ?? '',
    username: c?.username ?? '',
    password: '',
    sslEnabled: c?.sslEnabled ?? false,
    sslRejectUnauthorized: c?.sslRejectUnauthorized ?? true,
    sslCertificate: c?.sslCertificate ?? '',
  });
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (k: keyof typeof f) => (v: string | boolean) => setF({ ...f, [k]: v });
  const rule = (field: string) => error?.ruleFor(field);
  const known = ['name', 'description', 'projectId', 'credentials.host', 'credentials.port', 'credentials.database', 'credentials.username', 'credentials.password', 'credentials.sslCertificate'];

  const save = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const port = Number.isFinite(Number(f.port)) && f.port.trim() !== '' ? Number(f.port) : f.port;
    const credentials = {
      host: f.host,
      port,
      database: f.database,
      username: f.username,
      sslEnabled: f.sslEnabled,
      sslRejectUnauthorized: f.sslRejectUnauthorized,
      sslCertificate: f.sslCertificate.trim() ? f.sslCertificate : null,
    };
    try {
      const r = existing
        ? await api<{ appConnection: Connection }>('PATCH', `${CONN}/${existing.id}`, {
            name: f.name,
            description: f.description || null,
            // An empty password field keeps the stored password (it is never sent back to the browser).
            credentials: f.password ? { ...credentials, password: f.password } : credentials,
          })
        : await api<{ appConnection: Connection }>('POST', CONN, { name: f.name, description: f.description || null, projectId, method: 'username-and-password', credentials: { ...credentials, password: f.password } });
      onSaved(r.appConnection);
    } catch (x) {
      setError(x instanceof ApiError ? x : new ApiError(0, String(x)));
      setBusy(false);
    }
  };
  return (
    <Dialog title={existing ? `Edit connection ${existing.name}` : 'Add connection'} onClose={onClose}>
      <form onSubmit={(e) => void save(e)} autoComplete="off">
        <Field id="conn-name" label="Name" value={f.name} onInput={set('name')} error={rule('name')} />
        <Field id="conn-description" label="Description (optional)" value={f.description} onInput={set('description')} error={rule('description')} />
        <div class="grid">
          <Field id="conn-host" label="Host" value={f.host} onInput={set('host')} error={rule('credentials.host')} />
          <Field id="conn-port" label="Port" type="number" value={f.port} onInput={set('port')} error={rule('credentials.port')} />
          <Field id="conn-database" label="Database" value={f.database} onInput={set('database')} error={rule('credentials.database')} />
          <Field id="conn-username" label="Admin username" value={f.username} onInput={set('username')} error={rule('credentials.username')} />
        </div>
        <Field
          id="conn-password"
          label="Admin password"
          type="password"
          value={f.password}
          onInput={set('password')}
          error={rule('credentials.password')}
          hint={existing ? 'Write-only: leave empty to keep the stored password.' : 'Write-only: stored encrypted, never shown again.'}
          input={{ autoComplete: 'new-password' }}
        />
        <Check id="conn-ssl" label="Use TLS" checked={f.sslEnabled} onChange={set('sslEnabled')} />
        {f.sslEnabled && (
          <>
            <Check id="conn-ssl-verify" label="Verify the server certificate" checked={f.sslRejectUnauthorized} onChange={set('sslRejectUnauthorized')} />
            <Field id="conn-ssl-ca" label="CA certificate (PEM, optional)" multiline value={f.sslCertificate} onInput={set('sslCertificate')} error={rule('credentials.sslCertificate')} />
          </>
        )}
        {error && (error.details.length === 0 || error.details.some((d) => !known.includes(d.field))) && <ErrorNotice error={error} />}
        <div class="dialog-actions">
          <button type="button" class="btn plain" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="btn primary" disabled={busy}>
            {busy ? 'Checking the credentials…' : 'Save'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function DeleteConnection({ c, onClose, onDeleted }: { c: Connection; onClose: () => void; onDeleted: () => void }) {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const run = async () => {
    setBusy(true);
    try {
      await api('DELETE', `${CONN}/${c.id}`);
      onDeleted();
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };
  return (
    <Dialog title={`Delete connection ${c.name}?`} onClose={onClose}>
      <p>The stored admin credentials are removed. A connection that rotations use cannot be deleted; delete those rotations first.</p>
      <ErrorNotice error={error} context="Not deleted" />
      <div class="dialog-actions">
        <button type="button" class="btn plain" onClick={onClose}>
          Cancel
        </button>
        <button type="button" class="btn danger" disabled={busy} onClick={() => void run()}>
          Delete connection
        </button>
      </div>
    </Dialog>
  );
}
