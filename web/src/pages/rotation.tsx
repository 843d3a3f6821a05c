import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, type AuditEvent, ROT, type RotationCheck, type RotationView, type SecretVersion, splitFix, withQuery } from '../api.js';
import type { AppContext } from '../app.js';
import { go, href } from '../router.js';
import { hhmm, localTimeOfDay, parseHhmm } from '../time.js';
import { ActionButton, ActionNotice, Check, Dialog, ErrorNotice, Field, FixSql, Loading, roleOf, RotateAtField, SETTING_FIELDS, StatusBadge, Time } from '../ui.js';

type DialogKind = 'force' | 'edit' | 'incident' | 'delete' | null;

/** One rotation: configuration, secret versions, audit trail, and every action the token may take. */
export function RotationPage({ ctx, rotationId }: { ctx: AppContext; rotationId: string }) {
  const [r, setR] = useState<RotationView | null>(null);
  const [versions, setVersions] = useState<SecretVersion[] | null>(null);
  const [events, setEvents] = useState<AuditEvent[] | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [overlap, setOverlap] = useState<ApiError | null>(null);
  const [check, setCheck] = useState<RotationCheck | null>(null);
  const [dialog, setDialog] = useState<DialogKind>(null);

  // The rotation on screen: answers for one the page has since left are dropped.
  const shown = useRef(rotationId);
  shown.current = rotationId;
  const load = async () => {
    try {
      const { secretRotation } = await api<{ secretRotation: RotationView }>('GET', `${ROT}/${rotationId}`);
      if (shown.current !== rotationId) return;
      setR(secretRotation);
      const [v, a] = await Promise.all([
        api<{ secretVersions: SecretVersion[] }>('GET', `${ROT}/${rotationId}/secret-versions`),
        api<{ auditEvents: AuditEvent[] }>('GET', withQuery('/api/v1/audit-events', { projectId: secretRotation.projectId, rotationId, limit: 50 })),
      ]);
      if (shown.current !== rotationId) return;
      setVersions(v.secretVersions);
      setEvents(a.auditEvents);
    } catch (e) {
      if (shown.current === rotationId) setLoadError(e);
    }
  };
  useEffect(() => {
    void load();
  }, [rotationId]);

  if (loadError) return <ErrorNotice error={loadError} context="Opening the rotation" />;
  if (!r) return <Loading what="the rotation" />;

  /** Runs an action; its error is shown above the actions, a refusal for the minimum overlap gets its own notice. */
  const act = async (name: string, fn: () => Promise<string | null>) => {
    setBusy(name);
    setActionError(null);
    setNotice(null);
    setOverlap(null);
    setCheck(null); // a drift check's result describes the state before this action
    try {
      const done = await fn();
      if (done) setNotice(done);
      await load();
    } catch (e) {
      if (e instanceof ApiError && e.status === 409 && e.ruleFor('force')) setOverlap(e);
      else setActionError(e);
    } finally {
      setBusy(null);
    }
  };

  const rotate = (force: boolean) =>
    act('rotate', async () => {
      const { secretRotation: v } = await api<{ secretRotation: RotationView }>('POST', `${ROT}/${r.id}/rotate-secrets`, force ? { force: true } : undefined);
      const active = v.activeIndex === 1 ? v.parameters.username2 : v.parameters.username1;
      return v.rotationStatus === 'failed' ? null : `Rotated: "${active}" is now the active role and its new password is published.`;
    });
  const setAuto = (on: boolean) =>
    act('pause', async () => {
      await api('PATCH', `${ROT}/${r.id}`, { isAutoRotationEnabled: on });
      return on ? 'Auto-rotation resumed.' : 'Auto-rotation paused: no scheduled rotation until you resume it.';
    });
  const drift = () =>
    act('check', async () => {
      setCheck(await api<RotationCheck>('GET', `${ROT}/${r.id}/check`));
      return null;
    });

  const p = r.projectId;
  const t = ctx.token;
  const workflowUrl = ctx.temporalUi?.workflowUrl.replace('{rotationId}', r.id);
  const failure = splitFix(r.lastRotationMessage ?? '');

  return (
    <>
      <p class="crumbs">
        <a href={href('/', { project: p, environment: r.environment.slug, folder: r.folder.path })}>Rotations</a> › {r.environment.slug}:{r.folder.path}
      </p>
      <div class="title-row">
        <h1>{r.name}</h1>
        <StatusBadge r={r} />
        {workflowUrl && (
          <a class="ext" href={workflowUrl} target="_blank" rel="noopener noreferrer">
            Workflow in the Temporal UI
          </a>
        )}
      </div>
      {r.description && <p>{r.description}</p>}
      {r.rotationStatus === 'failed' && (
        <div class="notice error" role="alert">
          <strong>The last rotation failed</strong>
          <p>{failure.message}</p>
          {failure.fix && <FixSql fix={failure.fix} />}
          <p>The published credential still works; the next attempt is at the next rotate-at time, or rotate now.</p>
        </div>
      )}

      <section aria-labelledby="actions-h">
        <h2 id="actions-h">Actions</h2>
        <div class="actions">
          <ActionButton token={t} need="rotate" projectId={p} variant="primary" busy={busy === 'rotate'} onClick={() => void rotate(false)}>
            Rotate now
          </ActionButton>
          <ActionButton token={t} need="edit" projectId={p} busy={busy === 'pause'} onClick={() => void setAuto(!r.isAutoRotationEnabled)}>
            {r.isAutoRotationEnabled ? 'Pause auto-rotation' : 'Resume auto-rotation'}
          </ActionButton>
          <ActionButton token={t} need="edit" projectId={p} onClick={() => setDialog('edit')}>
            Edit
          </ActionButton>
          <ActionButton token={t} need="read" projectId={p} busy={busy === 'check'} onClick={() => void drift()}>
            Drift check
          </ActionButton>
          <ActionButton token={t} need="rotate" projectId={p} variant="danger" onClick={() => setDialog('incident')}>
            Incident rotation…
          </ActionButton>
          <ActionButton token={t} need="delete" projectId={p} variant="danger" onClick={() => setDialog('delete')}>
            Delete…
          </ActionButton>
        </div>
        <ActionNotice notice={notice} />
        <ErrorNotice error={actionError} />
        {overlap && (
          <div class="notice warn" role="alert">
            <strong>Rotation refused: minimum overlap</strong>
            <p>{overlap.message}</p>
            <p>
              Applications may still hold the credential this rotation would overwrite. Wait until the time above, or force the rotation (those
              applications then lose access).
            </p>
            <button type="button" class="btn danger" onClick={() => setDialog('force')}>
              Force rotation…
            </button>
          </div>
        )}
        {check && <DriftResult check={check} />}
      </section>

      <section aria-labelledby="config-h">
        <h2 id="config-h">Configuration</h2>
        <dl class="config">
          <dt>Roles</dt>
          <dd>
            {roleOf(r, 0)} {roleOf(r, 1)}
          </dd>
          <dt>Mapped secrets</dt>
          <dd>
            <code>{r.secretsMapping.username}</code>, <code>{r.secretsMapping.password}</code> in {r.environment.slug}:{r.folder.path}
          </dd>
          <dt>Connection</dt>
          <dd>{r.connection.name}</dd>
          <dt>Auto-rotation</dt>
          <dd>{r.isAutoRotationEnabled ? 'on' : 'off (paused)'}</dd>
          <dt>Interval</dt>
          <dd>every {r.rotationInterval} day{r.rotationInterval === 1 ? '' : 's'}</dd>
          <dt>Rotate at</dt>
          <dd>
            {hhmm(r.rotateAtUtc)} UTC ({localTimeOfDay(r.rotateAtUtc.hours, r.rotateAtUtc.minutes)} your time)
            {r.rotationWindowMinutes > 0 && `, within a ${r.rotationWindowMinutes}-minute window`}
          </dd>
          <dt>Minimum overlap</dt>
          <dd>{r.minimumOverlapSeconds > 0 ? `${r.minimumOverlapSeconds} s` : 'none'}</dd>
          <dt>Last rotated</dt>
          <dd>
            <Time iso={r.lastRotatedAt} empty="never" />
          </dd>
          <dt>Next rotation</dt>
          <dd>
            <Time iso={r.nextRotationAt} empty={r.isAutoRotationEnabled ? '—' : 'none while paused'} />
          </dd>
          <dt>Rotation statement</dt>
          <dd>{r.parameters.rotationStatement ? <code>{r.parameters.rotationStatement}</code> : 'default (ALTER ROLE … PASSWORD with a SCRAM verifier)'}</dd>
          <dt>Password</dt>
          <dd>
            {r.parameters.passwordRequirements
              ? `${r.parameters.passwordRequirements.length} characters`
              : '48 characters (default)'}
          </dd>
          <dt>Created</dt>
          <dd>
            <Time iso={r.createdAt} />
          </dd>
        </dl>
      </section>

      <Versions r={r} versions={versions} ctx={ctx} />
      <Audit events={events} />

      {dialog === 'force' && (
        <Dialog title="Force the rotation?" onClose={() => setDialog(null)}>
          <p>{overlap?.message}</p>
          <p>
            Forcing overwrites the password of the inactive role now. Whoever still uses it (applications that have not re-read{' '}
            <code>{r.secretsMapping.password}</code>) loses access.
          </p>
          <div class="dialog-actions">
            <button type="button" class="btn plain" onClick={() => setDialog(null)}>
              Cancel
            </button>
            <button
              type="button"
              class="btn danger"
              onClick={() => {
                setDialog(null);
                void rotate(true);
              }}
            >
              Force rotation
            </button>
          </div>
        </Dialog>
      )}
      {dialog === 'incident' && <IncidentDialog r={r} onClose={() => setDialog(null)} onDone={(warning) => void act('incident', async () => warning)} />}
      {dialog === 'delete' && <DeleteDialog r={r} onClose={() => setDialog(null)} onDeleted={() => go('/', { project: p, environment: r.environment.slug })} />}
      {dialog === 'edit' && (
        <EditDialog
          r={r}
          onClose={() => setDialog(null)}
          onSaved={() => {
            setDialog(null);
            void act('edit', async () => 'Saved.');
          }}
        />
      )}
    </>
  );
}

function DriftResult({ check }: { check: RotationCheck }) {
  return (
    <div class={`notice ${check.drift ? 'warn' : 'ok'}`} role="status">
      <strong>{check.drift ? 'Drift found' : 'No drift'}</strong> (checked <Time iso={check.checkedAt} />)
      <ul>
        {check.slots.map((s) => (
          <li key={s.slot}>
            {s.username}: {s.loginOk ? 'logs in' : `does not log in${s.error ? ` (${s.error})` : ''}`}
            {s.slot === check.activeIndex && ' — active'}
          </li>
        ))}
        <li>Mapped secrets {check.mappedSecretsMatchActive ? 'match' : 'do not match'} the active role.</li>
      </ul>
      <p>{check.advice}</p>
    </div>
  );
}

function Versions({ r, versions, ctx }: { r: RotationView; versions: SecretVersion[] | null; ctx: AppContext }) {
  const [shown, setShown] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const reveal = async (v: SecretVersion) => {
    setError(null);
    try {
      const { secret } = await api<{ secret: { secretValue: string } }>(
        'GET',
        withQuery(`/api/v3/secrets/raw/${encodeURIComponent(v.secretKey)}`, { projectId: r.projectId, environment: r.environment.slug, secretPath: r.folder.path, version: v.version }),
      );
      setShown((s) => ({ ...s, [`${v.secretKey}@${v.version}`]: secret.secretValue }));
    } catch (e) {
      setError(e);
    }
  };
  return (
    <section aria-labelledby="versions-h">
      <h2 id="versions-h">Secret versions</h2>
      <p class="hint">Every rotation writes a new version of both mapped secrets. Values are hidden; revealing one needs the read-secrets scope and is recorded in the audit log.</p>
      <ErrorNotice error={error} context="Revealing a secret" />
      {!versions ? (
        <Loading what="secret versions" />
      ) : versions.length === 0 ? (
        <p class="empty">No versions yet.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Secret</th>
              <th scope="col">Version</th>
              <th scope="col">Written</th>
              <th scope="col">Value</th>
            </tr>
          </thead>
          <tbody>
            {versions.map((v) => {
              const key = `${v.secretKey}@${v.version}`;
              const value = shown[key];
              return (
                <tr key={key} data-secret={v.secretKey} data-version={v.version}>
                  <td>
                    <code>{v.secretKey}</code>
                  </td>
                  <td>{v.version}</td>
                  <td>
                    <Time iso={v.createdAt} />
                  </td>
                  <td>
                    {value !== undefined ? (
                      <span class="revealed">
                        <code>{value}</code>{' '}
                        <button type="button" class="btn plain small" onClick={() => setShown(({ [key]: _, ...rest }) => rest)}>
                          Hide <span class="sr-only">{key}</span>
                        </button>
                      </span>
                    ) : (
                      <span>
                        <span class="muted">hidden</span>{' '}
                        <ActionButton token={ctx.token} need="read-secrets" projectId={r.projectId} variant="plain" onClick={() => void reveal(v)}>
                          Reveal <span class="sr-only">{key}</span>
                        </ActionButton>
                      </span>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Audit({ events }: { events: AuditEvent[] | null }) {
  return (
    <section aria-labelledby="audit-h">
      <h2 id="audit-h">Audit events</h2>
      {!events ? (
        <Loading what="audit events" />
      ) : events.length === 0 ? (
        <p class="empty">No audit events.</p>
      ) : (
        <table class="audit">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Action</th>
              <th scope="col">Actor</th>
              <th scope="col">Details</th>
            </tr>
          </thead>
          <tbody>
            {events.map((e) => (
              <tr key={e.id}>
                <td>
                  <Time iso={e.at} />
                </td>
                <td>
                  <code>{e.action}</code>
                </td>
                <td>{e.actor}</td>
                <td class="details">{Object.entries(e.details).map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`).join('; ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function IncidentDialog({ r, onClose, onDone }: { r: RotationView; onClose: () => void; onDone: (warning: string) => void }) {
  const [typed, setTyped] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = async () => {
    setBusy(true);
    try {
      const res = await api<{ warning: string }>('POST', `${ROT}/${r.id}/incident-rotate`);
      onClose();
      onDone(res.warning);
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };
  return (
    <Dialog title="Incident rotation" onClose={onClose}>
      <p>
        Both <strong>{r.parameters.username1}</strong> and <strong>{r.parameters.username2}</strong> get new passwords now. Every current password of either role stops working at
        once: applications that have not re-read <code>{r.secretsMapping.username}</code>/<code>{r.secretsMapping.password}</code>, scripts and people lose access. Use it when
        both credentials are known to be compromised.
      </p>
      <Field id="incident-confirm" label={`Type the rotation's name (${r.name}) to confirm`} value={typed} onInput={setTyped} input={{ autoComplete: 'off' }} />
      <ErrorNotice error={error} />
      <div class="dialog-actions">
        <button type="button" class="btn plain" onClick={onClose}>
          Cancel
        </button>
        <button type="button" class="btn danger" disabled={typed !== r.name || busy} onClick={() => void run()}>
          {busy ? 'Rotating both…' : 'Rotate both credentials'}
        </button>
      </div>
    </Dialog>
  );
}

function DeleteDialog({ r, onClose, onDeleted }: { r: RotationView; onClose: () => void; onDeleted: () => void }) {
  const [revoke, setRevoke] = useState(false);
  const [deleteSecrets, setDeleteSecrets] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const run = async () => {
    setBusy(true);
    try {
      await api('DELETE', withQuery(`${ROT}/${r.id}`, { deleteSecrets, revokeGeneratedCredentials: revoke }));
      onClose();
      onDeleted();
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };
  return (
    <Dialog title={`Delete rotation ${r.name}?`} onClose={onClose}>
      <p>The rotation stops; nothing rotates these roles any more. Its roles become free for another rotation.</p>
      <Check
        id="revoke"
        label="Revoke the generated credentials"
        checked={revoke}
        onChange={setRevoke}
        hint={`Gives ${r.parameters.username1} and ${r.parameters.username2} throwaway passwords nobody keeps: everything using them loses access. Unchecked: both keep their current passwords.`}
      />
      <Check
        id="delete-secrets"
        label="Delete the mapped secrets"
        checked={deleteSecrets}
        onChange={setDeleteSecrets}
        hint={`Removes ${r.secretsMapping.username} and ${r.secretsMapping.password} and all their versions from ${r.environment.slug}:${r.folder.path}. Unchecked: they stay readable.`}
      />
      <ErrorNotice error={error} />
      <div class="dialog-actions">
        <button type="button" class="btn plain" onClick={onClose}>
          Cancel
        </button>
        <button type="button" class="btn danger" disabled={busy} onClick={() => void run()}>
          {busy ? 'Deleting…' : 'Delete rotation'}
        </button>
      </div>
    </Dialog>
  );
}

function EditDialog({ r, onClose, onSaved }: { r: RotationView; onClose: () => void; onSaved: () => void }) {
  const [f, setF] = useState({
    name: r.name,
    description: r.description ?? '',
    rotationInterval: String(r.rotationInterval),
    rotateAt: hhmm(r.rotateAtUtc),
    rotationWindowMinutes: String(r.rotationWindowMinutes),
    minimumOverlapSeconds: String(r.minimumOverlapSeconds),
    usernameSecret: r.secretsMapping.username,
    passwordSecret: r.secretsMapping.password,
  });
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (k: keyof typeof f) => (v: string) => setF({ ...f, [k]: v });
  const err = (...fields: string[]) => fields.map((x) => error?.ruleFor(x)).find(Boolean);

  const save = async (e: Event) => {
    e.preventDefault();
    const patch: Record<string, unknown> = {};
    if (f.name !== r.name) patch.name = f.name;
    if (f.description !== (r.description ?? '')) patch.description = f.description || null;
    if (f.rotationInterval !== String(r.rotationInterval)) patch.rotationInterval = Number(f.rotationInterval);
    if (f.rotateAt !== hhmm(r.rotateAtUtc)) patch.rotateAtUtc = parseHhmm(f.rotateAt);
    if (f.rotationWindowMinutes !== String(r.rotationWindowMinutes)) patch.rotationWindowMinutes = Number(f.rotationWindowMinutes);
    if (f.minimumOverlapSeconds !== String(r.minimumOverlapSeconds)) patch.minimumOverlapSeconds = Number(f.minimumOverlapSeconds);
    if (f.usernameSecret !== r.secretsMapping.username || f.passwordSecret !== r.secretsMapping.password) {
      patch.secretsMapping = { username: f.usernameSecret, password: f.passwordSecret };
    }
    if (Object.keys(patch).length === 0) return onClose();
    setBusy(true);
    try {
      await api('PATCH', `${ROT}/${r.id}`, patch);
      onSaved();
    } catch (x) {
      setError(x instanceof ApiError ? x : new ApiError(0, String(x)));
      setBusy(false);
    }
  };
  return (
    <Dialog title={`Edit ${r.name}`} onClose={onClose}>
      <form onSubmit={(e) => void save(e)}>
        <Field id="edit-name" label="Name" value={f.name} onInput={set('name')} error={err('name')} />
        <Field id="edit-description" label="Description" value={f.description} onInput={set('description')} error={err('description')} multiline />
        <Field id="edit-interval" label="Rotation interval (days)" type="number" value={f.rotationInterval} onInput={set('rotationInterval')} error={err('rotationInterval')} />
        <RotateAtField id="edit-rotate-at" label="Rotate at (UTC)" value={f.rotateAt} onInput={set('rotateAt')} error={err('rotateAtUtc', 'rotateAtUtc.hours', 'rotateAtUtc.minutes')} />
        <Field id="edit-window" label="Rotation window (minutes)" type="number" value={f.rotationWindowMinutes} onInput={set('rotationWindowMinutes')} error={err('rotationWindowMinutes')} />
        <Field id="edit-overlap" label="Minimum overlap (seconds)" type="number" value={f.minimumOverlapSeconds} onInput={set('minimumOverlapSeconds')} error={err('minimumOverlapSeconds')} />
        <Field id="edit-username-secret" label="Username secret" value={f.usernameSecret} onInput={set('usernameSecret')} error={err('secretsMapping.username', 'secretsMapping')} />
        <Field id="edit-password-secret" label="Password secret" value={f.passwordSecret} onInput={set('passwordSecret')} error={err('secretsMapping.password')} />
        {error && (error.details.length === 0 || error.details.some((d) => !SETTING_FIELDS.includes(d.field))) && <ErrorNotice error={error} />}
        <div class="dialog-actions">
          <button type="button" class="btn plain" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="btn primary" disabled={busy}>
            {busy ? 'Saving…' : 'Save'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
