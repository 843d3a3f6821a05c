import type { ComponentChildren } from 'preact';
import { useEffect, useId, useRef } from 'preact/hooks';
import { ApiError, type RotationView, type TokenAction, type TokenInfo } from './api.js';
import { local, localTimeOfDay, parseHhmm, relative, useNow, utc } from './time.js';

/**
 * A point in time: relative ("in 3 days", kept current), with the exact UTC and local times beside it. A long
 * list passes `now` from one clock of its own rather than giving every cell a timer subscription.
 */
export function Time({ iso, empty = '—', now }: { iso: string | null; empty?: string; now?: number }) {
  if (!iso) return <span class="muted">{empty}</span>;
  return now === undefined ? <TimeWithClock iso={iso} /> : <TimeAt iso={iso} now={now} />;
}

function TimeWithClock({ iso }: { iso: string }) {
  return <TimeAt iso={iso} now={useNow()} />;
}

function TimeAt({ iso, now }: { iso: string; now: number }) {
  return (
    <time dateTime={iso} class="time">
      <span class="rel">{relative(iso, now)}</span>
      <span class="exact">
        {utc(iso)} · {local(iso)}
      </span>
    </time>
  );
}

export function can(token: TokenInfo, action: TokenAction, projectId: string): boolean {
  return token.actions.includes(action) && (token.projectId === null || token.projectId === projectId);
}

export function missingScope(token: TokenInfo, action: TokenAction, projectId: string): string | null {
  if (!token.actions.includes(action)) return `Needs the "${action}" scope: token "${token.name}" may ${token.actions.join(', ')}.`;
  if (token.projectId !== null && token.projectId !== projectId) return `Token "${token.name}" is scoped to another project.`;
  return null;
}

/**
 * A button for an action the token may lack: then it stays focusable but does nothing (aria-disabled), and a
 * tooltip (on hover and keyboard focus) names the missing scope.
 */
export function ActionButton(props: {
  token: TokenInfo;
  need: TokenAction;
  projectId: string;
  onClick: () => void;
  busy?: boolean;
  variant?: 'primary' | 'danger' | 'plain';
  children: ComponentChildren;
}) {
  const tip = useId();
  const missing = missingScope(props.token, props.need, props.projectId);
  const cls = `btn ${props.variant ?? 'plain'}`;
  if (missing) {
    return (
      <span class="tip-wrap">
        <button type="button" class={cls} aria-disabled="true" aria-describedby={tip} onClick={(e) => e.preventDefault()}>
          {props.children}
        </button>
        <span role="tooltip" id={tip} class="tip">
          {missing}
        </span>
      </span>
    );
  }
  return (
    <button type="button" class={cls} disabled={props.busy} aria-busy={props.busy} onClick={props.onClick}>
      {props.busy ? 'Working…' : props.children}
    </button>
  );
}

/** An error from the API, explained: 403 names what the token lacks, configuration errors show their fix. */
export function ErrorNotice({ error, context }: { error: unknown; context?: string }) {
  if (!error) return null;
  const e = error instanceof ApiError ? error : new ApiError(0, String(error));
  const title =
    e.status === 403
      ? 'Not allowed with this token'
      : e.status === 401
        ? 'Signed out'
        : e.status === 404
          ? 'Not found'
          : e.status === 409
            ? 'Refused'
            : e.status === 0
              ? 'No connection'
              : 'Something went wrong';
  return (
    <div class="notice error" role="alert">
      <strong>{context ? `${context}: ${title}` : title}</strong>
      <p>{e.message}</p>
      {e.status === 403 && (
        <p>
          Sign in with a token that has the scope this needs (tokens are made with <code>pg-rotator token create</code>).
        </p>
      )}
      {e.fix && <FixSql fix={e.fix} />}
    </div>
  );
}

export function FixSql({ fix }: { fix: string }) {
  return (
    <div class="fix">
      <p>To fix it, run on the target database (as a superuser):</p>
      <pre>
        <code>{fix}</code>
      </pre>
    </div>
  );
}

export function StatusBadge({ r }: { r: Pick<RotationView, 'rotationStatus' | 'rotationInProgress'> }) {
  if (r.rotationInProgress) return <span class="badge rotating">rotating</span>;
  return <span class={`badge ${r.rotationStatus}`}>{r.rotationStatus}</span>;
}

export function roleOf(r: Pick<RotationView, 'parameters' | 'activeIndex'>, slot: 0 | 1) {
  const name = slot === 0 ? r.parameters.username1 : r.parameters.username2;
  const active = r.activeIndex === slot;
  return (
    <span class={active ? 'role active' : 'role'}>
      {name}
      {active && <span class="badge active-role">active</span>}
    </span>
  );
}

/** The few extra input attributes the forms use. */
interface InputProps {
  autoComplete?: string;
  spellcheck?: boolean;
  min?: number;
}

/** A labelled input whose server-side error is shown under it and announced (aria-invalid, aria-describedby). */
export function Field(props: {
  id: string;
  label: string;
  value: string;
  onInput: (v: string) => void;
  error?: string;
  hint?: ComponentChildren;
  type?: 'text' | 'password' | 'number' | 'time';
  multiline?: boolean;
  input?: InputProps;
}) {
  const describedBy = [props.error ? `${props.id}-error` : '', props.hint ? `${props.id}-hint` : ''].filter(Boolean).join(' ') || undefined;
  const common = {
    id: props.id,
    name: props.id,
    value: props.value,
    'aria-invalid': props.error ? ('true' as const) : undefined,
    'aria-describedby': describedBy,
  };
  return (
    <div class={`field${props.error ? ' invalid' : ''}`}>
      <label for={props.id}>{props.label}</label>
      {props.multiline ? (
        <textarea {...common} rows={3} onInput={(e) => props.onInput(e.currentTarget.value)} />
      ) : (
        // Preact types `input` as a union discriminated by a literal type; ours is one of four known ones.
        <input {...props.input} type={(props.type ?? 'text') as 'text'} {...common} onInput={(e) => props.onInput(e.currentTarget.value)} />
      )}
      {props.hint && (
        <p class="hint" id={`${props.id}-hint`}>
          {props.hint}
        </p>
      )}
      {props.error && (
        <p class="field-error" id={`${props.id}-error`}>
          {props.error}
        </p>
      )}
    </div>
  );
}

export function Check(props: { id: string; label: string; checked: boolean; onChange: (v: boolean) => void; hint?: ComponentChildren; error?: string }) {
  return (
    <div class={`field check${props.error ? ' invalid' : ''}`}>
      <input
        type="checkbox"
        id={props.id}
        checked={props.checked}
        aria-describedby={props.hint ? `${props.id}-hint` : undefined}
        onChange={(e) => props.onChange(e.currentTarget.checked)}
      />
      <label for={props.id}>{props.label}</label>
      {props.hint && (
        <p class="hint" id={`${props.id}-hint`}>
          {props.hint}
        </p>
      )}
      {props.error && <p class="field-error">{props.error}</p>}
    </div>
  );
}

export function Select(props: {
  id: string;
  label: string;
  value: string;
  onChange: (v: string) => void;
  options: { value: string; label: string }[];
  error?: string;
  hint?: ComponentChildren;
}) {
  return (
    <div class={`field${props.error ? ' invalid' : ''}`}>
      <label for={props.id}>{props.label}</label>
      <select
        id={props.id}
        value={props.value}
        aria-invalid={props.error ? 'true' : undefined}
        aria-describedby={props.error ? `${props.id}-error` : undefined}
        onChange={(e) => props.onChange(e.currentTarget.value)}
      >
        {props.options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      {props.hint && <p class="hint">{props.hint}</p>}
      {props.error && (
        <p class="field-error" id={`${props.id}-error`}>
          {props.error}
        </p>
      )}
    </div>
  );
}

/** A modal dialog (the native <dialog>: focus is trapped, Escape closes it). */
export function Dialog(props: { title: string; onClose: () => void; children: ComponentChildren }) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
    return () => d?.close();
  }, []);
  return (
    <dialog ref={ref} aria-labelledby={titleId} onClose={props.onClose}>
      <h2 id={titleId}>{props.title}</h2>
      {props.children}
    </dialog>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="loading" role="status">
      Loading {what}…
    </p>
  );
}

/** The outcome of the last action; the region stays in the page so screen readers announce each new text. */
export function ActionNotice({ notice }: { notice: string | null | undefined }) {
  return (
    <div aria-live="polite">
      {notice && (
        <p class="notice ok" role="status">
          {notice}
        </p>
      )}
    </div>
  );
}

/** The rotate-at time, entered in UTC, with the viewer's local equivalent beside it. */
export function RotateAtField(props: { id: string; label: string; value: string; onInput: (v: string) => void; error?: string }) {
  const { hours, minutes } = parseHhmm(props.value);
  const hint = hours !== undefined && minutes !== undefined ? `= ${localTimeOfDay(hours, minutes)} your local time` : 'HH:MM in UTC';
  return <Field {...props} type="time" hint={hint} />;
}

/**
 * The rotation settings that both the create wizard and the edit dialog give an input, and so an error slot; the
 * wizard adds its own (connection, folder, roles). An API error naming a field outside a form's list goes to
 * the notice under that form.
 */
export const SETTING_FIELDS: readonly string[] = [
  'name',
  'description',
  'rotationInterval',
  'rotateAtUtc',
  'rotateAtUtc.hours',
  'rotateAtUtc.minutes',
  'rotationWindowMinutes',
  'minimumOverlapSeconds',
  'secretsMapping',
  'secretsMapping.username',
  'secretsMapping.password',
];
