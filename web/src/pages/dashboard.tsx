import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, ROT, type RotationView, withQuery } from '../api.js';
import type { AppContext } from '../app.js';
import { go, href } from '../router.js';
import { PAGE_ROWS } from '../page-size.js';
import { useNow } from '../time.js';
import { ActionButton, ErrorNotice, Loading, roleOf, Select, StatusBadge, Time } from '../ui.js';

const STATUSES = ['all', 'success', 'failed', 'rotating', 'pending'] as const;
const statusOf = (r: RotationView) => (r.rotationInProgress ? 'rotating' : r.rotationStatus);

/** The project's rotations in one environment and folder, filterable by status; failed ones stand out. */
export function Dashboard({ ctx, params }: { ctx: AppContext; params: URLSearchParams }) {
  const project = ctx.project;
  const [rotations, setRotations] = useState<RotationView[] | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    if (!project) return;
    setRotations(null);
    setError(null);
    // An answer for a project the page has since left must not replace the current one's.
    let current = true;
    api<{ secretRotations: RotationView[] }>('GET', withQuery(ROT, { projectId: project.id }))
      .then((r) => current && setRotations(r.secretRotations))
      .catch((e: unknown) => current && setError(e));
    return () => {
      current = false;
    };
  }, [project?.id]);

  if (!project) return <p class="empty">This token sees no project. Create one with <code>pg-rotator project create</code>.</p>;

  const environment = params.get('environment') ?? project.environments[0]?.slug ?? 'dev';
  const folder = params.get('folder') ?? '';
  const status = params.get('status') ?? 'all';
  const set = (k: string, v: string) => {
    const next: Record<string, string> = { project: project.id, environment, folder, status };
    next[k] = v;
    if (k === 'environment') next.folder = '';
    go('/', next);
  };

  return (
    <>
      <h1>Rotations</h1>
      <div class="toolbar" role="group" aria-label="Where">
        <Select
          id="project"
          label="Project"
          value={project.id}
          onChange={(v) => go('/', { project: v })}
          options={ctx.projects.map((p) => ({ value: p.id, label: p.name }))}
        />
        <Select id="environment" label="Environment" value={environment} onChange={(v) => set('environment', v)} options={project.environments.map((e) => ({ value: e.slug, label: `${e.name} (${e.slug})` }))} />
        {rotations && <FolderSelect rotations={rotations} environment={environment} folder={folder} onChange={(v) => set('folder', v)} />}
        <Select id="status" label="Status" value={status} onChange={(v) => set('status', v)} options={STATUSES.map((s) => ({ value: s, label: s === 'all' ? 'All statuses' : s }))} />
        <div class="toolbar-end">
          <ActionButton token={ctx.token} need="create" projectId={project.id} variant="primary" onClick={() => go('/new', { project: project.id, environment, folder: folder || '/' })}>
            Add secret rotation
          </ActionButton>
        </div>
      </div>
      {params.get('created') && (
        <p class="notice ok" role="status">
          Rotation {params.get('created')} created: both roles have fresh passwords and the first is published.
        </p>
      )}
      <ErrorNotice error={error} context="Listing rotations" />
      {!rotations && !error && <Loading what="rotations" />}
      {rotations && (
        <RotationTable key={`${environment}|${folder}|${status}`} rotations={rotations} project={project.id} environment={environment} folder={folder} status={status} />
      )}
    </>
  );
}

function FolderSelect(props: { rotations: RotationView[]; environment: string; folder: string; onChange: (v: string) => void }) {
  const folders = useMemo(
    () => [...new Set(props.rotations.filter((r) => r.environment.slug === props.environment).map((r) => r.folder.path))].sort(),
    [props.rotations, props.environment],
  );
  return (
    <Select
      id="folder"
      label="Folder"
      value={props.folder}
      onChange={props.onChange}
      options={[{ value: '', label: 'All folders' }, ...folders.map((f) => ({ value: f, label: f }))]}
    />
  );
}

function RotationTable(props: { rotations: RotationView[]; project: string; environment: string; folder: string; status: string }) {
  const shown = useMemo(
    () =>
      props.rotations
        .filter((r) => r.environment.slug === props.environment && (!props.folder || r.folder.path === props.folder) && (props.status === 'all' || statusOf(r) === props.status))
        .sort((a, b) => Number(b.rotationStatus === 'failed') - Number(a.rotationStatus === 'failed') || a.name.localeCompare(b.name)),
    [props.rotations, props.environment, props.folder, props.status],
  );
  const now = useNow();
  const [limit, setLimit] = useState(PAGE_ROWS);
  const inEnv = props.rotations.filter((r) => r.environment.slug === props.environment);
  const failed = inEnv.filter((r) => r.rotationStatus === 'failed').length;
  if (inEnv.length === 0) {
    return (
      <p class="empty">
        No rotations in this environment yet. <strong>Add secret rotation</strong> walks you through creating one.
      </p>
    );
  }
  return (
    <>
      <p class="summary" role="status" aria-live="polite">
        {shown.length} of {inEnv.length} rotations shown{failed > 0 ? `; ${failed} failed` : ''}.
      </p>
      {shown.length === 0 ? (
        <p class="empty">No rotation matches this filter.</p>
      ) : (
        <table class="rotations">
          <caption class="sr-only">Rotations in {props.environment}</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Roles</th>
              <th scope="col">Status</th>
              <th scope="col">Last rotated</th>
              <th scope="col">Next rotation</th>
              <th scope="col">Auto-rotation</th>
            </tr>
          </thead>
          <tbody>
            {shown.slice(0, limit).map((r) => (
              <Row key={r.id} r={r} project={props.project} now={now} />
            ))}
          </tbody>
        </table>
      )}
      {shown.length > limit && (
        <div class="more">
          <span class="muted">
            Showing {limit} of {shown.length}.
          </span>{' '}
          <button type="button" class="btn plain" onClick={() => setLimit(limit + PAGE_ROWS)}>
            Show {Math.min(PAGE_ROWS, shown.length - limit)} more
          </button>{' '}
          <button type="button" class="btn plain" onClick={() => setLimit(shown.length)}>
            Show all {shown.length}
          </button>
        </div>
      )}
    </>
  );
}

function Row({ r, project, now }: { r: RotationView; project: string; now: number }) {
  const failed = r.rotationStatus === 'failed';
  return (
    <tr class={failed ? 'failed' : undefined} data-rotation={r.name}>
      <td>
        <a href={href(`/rotations/${r.id}`, { project })}>{r.name}</a>
        <div class="muted small">{r.folder.path}</div>
        {failed && r.lastRotationMessage && <div class="fail-message">{r.lastRotationMessage}</div>}
      </td>
      <td>
        <div>{roleOf(r, 0)}</div>
        <div>{roleOf(r, 1)}</div>
      </td>
      <td>
        <StatusBadge r={r} />
      </td>
      <td>
        <Time iso={r.lastRotatedAt} empty="never" now={now} />
      </td>
      <td>
        <Time iso={r.nextRotationAt} empty={r.isAutoRotationEnabled ? '—' : 'paused'} now={now} />
      </td>
      <td>{r.isAutoRotationEnabled ? <span class="badge on">on</span> : <span class="badge off">off</span>}</td>
    </tr>
  );
}
