import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, CONN, type Connection, ROT, type RotationView, withQuery } from '../api.js';
import type { AppContext } from '../app.js';
import { go, href } from '../router.js';
import { localTimeOfDay, parseHhmm } from '../time.js';
import { Check, ErrorNotice, Field, FixSql, Loading, RotateAtField, Select, SETTING_FIELDS, can, missingScope } from '../ui.js';

/** Infisical's steps for "Add Secret Rotation → PostgreSQL Credentials". */
const STEPS = ['Configuration', 'Parameters', 'Secrets mapping', 'Details', 'Review'] as const;

/** Which step holds a field the API may name (by the field's first path segment). */
const STEP_OF: Record<string, number> = {
  connectionId: 0,
  environment: 0,
  secretPath: 0,
  isAutoRotationEnabled: 0,
  rotationInterval: 0,
  rotateAtUtc: 0,
  rotationWindowMinutes: 0,
  minimumOverlapSeconds: 0,
  parameters: 1,
  secretsMapping: 2,
  name: 3,
  description: 3,
};

/** A number field's text as the API should see it: omitted when empty, a number when it is one, else as typed. */
const num = (s: string): number | string | undefined => (s.trim() === '' ? undefined : Number.isFinite(Number(s)) ? Number(s) : s);

export function Wizard({ ctx, params }: { ctx: AppContext; params: URLSearchParams }) {
  const project = ctx.project;
  const [connections, setConnections] = useState<Connection[] | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [step, setStep] = useState(0);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const [f, setF] = useState({
    connectionId: '',
    environment: params.get('environment') ?? project?.environments[0]?.slug ?? 'dev',
    secretPath: params.get('folder') ?? '/',
    isAutoRotationEnabled: true,
    rotationInterval: '30',
    rotateAt: '00:00',
    rotationWindowMinutes: '0',
    minimumOverlapSeconds: '0',
    username1: '',
    username2: '',
    advanced: false,
    rotationStatement: '',
    rotationStatementPassword: 'verifier',
    length: '48',
    digits: '1',
    lowercase: '1',
    uppercase: '1',
    symbols: '0',
    allowedSymbols: '-_.~!*',
    usernameSecret: 'POSTGRES_DB_USERNAME',
    passwordSecret: 'POSTGRES_DB_PASSWORD',
    name: '',
    description: '',
  });

  useEffect(() => {
    if (!project) return;
    let current = true; // see Dashboard: a late answer for another project is dropped
    api<{ appConnections: Connection[] }>('GET', withQuery(CONN, { projectId: project.id }))
      .then((r) => {
        if (!current) return;
        setConnections(r.appConnections);
        setF((x) => ({ ...x, connectionId: x.connectionId || r.appConnections[0]?.id || '' }));
      })
      .catch((e: unknown) => current && setLoadError(e));
    return () => {
      current = false;
    };
  }, [project?.id]);

  if (!project) return <p class="empty">No project.</p>;
  if (!can(ctx.token, 'create', project.id)) {
    return <ErrorNotice error={new ApiError(403, missingScope(ctx.token, 'create', project.id) ?? '')} context="Add secret rotation" />;
  }
  if (loadError) return <ErrorNotice error={loadError} context="Loading connections" />;
  if (!connections) return <Loading what="connections" />;

  const set = (k: keyof typeof f) => (v: string | boolean) => setF({ ...f, [k]: v });
  const { hours, minutes } = parseHhmm(f.rotateAt);
  const rule = (field: string) => error?.ruleFor(field);
  // A configuration problem blames at most one field: its fix goes under that field.
  const fixOf = (field: string) => (rule(field) === undefined ? null : (error?.fix ?? null));
  const rules = (...fields: string[]) => fields.map(rule).find((x) => x !== undefined);
  const stepHasError = (i: number) => (error?.details ?? []).some((d) => STEP_OF[d.field.split(/[.[]/)[0]!] === i);
  const unplaced = (error?.details ?? []).filter((d) => !FORM_FIELDS.has(d.field));

  const body = () => ({
    name: f.name,
    projectId: project.id,
    description: f.description || undefined,
    connectionId: f.connectionId,
    environment: f.environment,
    secretPath: f.secretPath,
    isAutoRotationEnabled: f.isAutoRotationEnabled,
    rotationInterval: num(f.rotationInterval),
    rotateAtUtc: { hours, minutes },
    rotationWindowMinutes: num(f.rotationWindowMinutes),
    minimumOverlapSeconds: num(f.minimumOverlapSeconds),
    parameters: {
      username1: f.username1,
      username2: f.username2,
      ...(f.rotationStatement.trim() ? { rotationStatement: f.rotationStatement, rotationStatementPassword: f.rotationStatementPassword } : {}),
      ...(f.advanced
        ? {
            passwordRequirements: {
              length: num(f.length),
              required: { digits: num(f.digits), lowercase: num(f.lowercase), uppercase: num(f.uppercase), symbols: num(f.symbols) },
              allowedSymbols: f.allowedSymbols,
            },
          }
        : {}),
    },
    secretsMapping: { username: f.usernameSecret, password: f.passwordSecret },
  });

  const create = async () => {
    setBusy(true);
    setError(null);
    try {
      const { secretRotation } = await api<{ secretRotation: RotationView }>('POST', ROT, body());
      go('/', { project: project.id, environment: secretRotation.environment.slug, folder: secretRotation.folder.path, created: secretRotation.name });
    } catch (e) {
      const err = e instanceof ApiError ? e : new ApiError(0, String(e));
      setError(err);
      const steps = err.details.map((d) => STEP_OF[d.field.split(/[.[]/)[0]!]).filter((s): s is number => s !== undefined);
      if (steps.length > 0) setStep(Math.min(...steps));
      setBusy(false);
    }
  };

  const conn = connections.find((c) => c.id === f.connectionId);
  return (
    <>
      <p class="crumbs">
        <a href={href('/', { project: project.id })}>Rotations</a> › Add secret rotation
      </p>
      <h1>Add secret rotation: PostgreSQL credentials</h1>
      <ol class="steps" aria-label="Steps">
        {STEPS.map((s, i) => (
          <li key={s} class={`${i === step ? 'current' : ''}${stepHasError(i) ? ' has-error' : ''}`}>
            <button type="button" class="step-link" aria-current={i === step ? 'step' : undefined} onClick={() => setStep(i)}>
              {i + 1}. {s}
              {stepHasError(i) && <span class="sr-only"> (has errors)</span>}
            </button>
          </li>
        ))}
      </ol>
      {error && (error.details.length === 0 || unplaced.length > 0) && <ErrorNotice error={error} context="Not created" />}
      {error && error.details.length > 0 && unplaced.length === 0 && (
        <p class="notice error" role="alert">
          Not created: {error.details.length === 1 ? 'a field needs' : `${error.details.length} fields need`} your attention ({error.details.map((d) => d.field).join(', ')}).
        </p>
      )}
      <form
        class="wizard"
        onSubmit={(e) => {
          e.preventDefault();
          if (step < STEPS.length - 1) setStep(step + 1);
          else void create();
        }}
      >
        <h2>{STEPS[step]}</h2>
        {step === 0 && (
          <>
            {connections.length === 0 ? (
              <p class="notice warn">
                This project has no connection yet. <a href={href('/connections', { project: project.id })}>Add a connection</a> first.
              </p>
            ) : (
              <Select
                id="connectionId"
                label="Connection"
                value={f.connectionId}
                onChange={set('connectionId')}
                options={connections.map((c) => ({ value: c.id, label: `${c.name} (${c.credentials.username}@${c.credentials.host}:${c.credentials.port}/${c.credentials.database})` }))}
                error={rule('connectionId')}
              />
            )}
            <Select id="environment" label="Environment" value={f.environment} onChange={set('environment')} options={project.environments.map((e) => ({ value: e.slug, label: `${e.name} (${e.slug})` }))} error={rule('environment')} />
            <Field id="secretPath" label="Secret path (folder)" value={f.secretPath} onInput={set('secretPath')} error={rule('secretPath')} />
            <Check id="isAutoRotationEnabled" label="Auto-rotation enabled" checked={f.isAutoRotationEnabled} onChange={set('isAutoRotationEnabled')} />
            <Field id="rotationInterval" label="Rotation interval (days)" type="number" value={f.rotationInterval} onInput={set('rotationInterval')} error={rule('rotationInterval')} input={{ min: 1 }} />
            <RotateAtField id="rotateAtUtc" label="Rotate at (UTC, 24-hour)" value={f.rotateAt} onInput={set('rotateAt')} error={rules('rotateAtUtc', 'rotateAtUtc.hours', 'rotateAtUtc.minutes')} />
            <Field
              id="rotationWindowMinutes"
              label="Rotation window (minutes)"
              type="number"
              value={f.rotationWindowMinutes}
              onInput={set('rotationWindowMinutes')}
              error={rule('rotationWindowMinutes')}
              hint="0–1440: automatic rotations fall at a fixed offset inside this window after the rotate-at time, so many rotations do not start at once."
            />
            <Field
              id="minimumOverlapSeconds"
              label="Minimum overlap (seconds)"
              type="number"
              value={f.minimumOverlapSeconds}
              onInput={set('minimumOverlapSeconds')}
              error={rule('minimumOverlapSeconds')}
              hint="A manual rotation is refused (unless forced) while the credential it overwrites was retired less than this long ago. 0: off."
            />
          </>
        )}
        {step === 1 && (
          <>
            <p class="hint">Two existing login roles; one is published at a time, the other keeps the previous password until the next rotation.</p>
            <Field id="username1" label="Username 1 (parameters.username1)" value={f.username1} onInput={set('username1')} error={rule('parameters.username1')} input={{ autoComplete: 'off' }} />
            {fixOf('parameters.username1') && <FixSql fix={fixOf('parameters.username1')!} />}
            <Field id="username2" label="Username 2 (parameters.username2)" value={f.username2} onInput={set('username2')} error={rule('parameters.username2')} input={{ autoComplete: 'off' }} />
            {fixOf('parameters.username2') && <FixSql fix={fixOf('parameters.username2')!} />}
            <details open={Boolean(f.rotationStatement || f.advanced || error?.details.some((d) => /^parameters\.(rotation|password)/.test(d.field)))}>
              <summary>Advanced: rotation statement and password requirements</summary>
              <Field
                id="rotationStatement"
                label="Rotation statement"
                multiline
                value={f.rotationStatement}
                onInput={set('rotationStatement')}
                error={rule('parameters.rotationStatement')}
                hint={<>Empty: the default <code>ALTER ROLE {'{{username}}'} WITH PASSWORD {'{{password}}'}</code>. Placeholders: {'{{username}}'}, {'{{password}}'}, {'{{database}}'}, unquoted.</>}
              />
              <Select
                id="rotationStatementPassword"
                label="Password given to the statement"
                value={f.rotationStatementPassword}
                onChange={set('rotationStatementPassword')}
                options={[
                  { value: 'verifier', label: 'SCRAM-SHA-256 verifier (recommended: the plaintext never reaches the server)' },
                  { value: 'plaintext', label: 'plaintext' },
                ]}
                error={rule('parameters.rotationStatementPassword')}
              />
              <Check id="advanced" label="Custom password requirements" checked={f.advanced} onChange={set('advanced')} error={rule('parameters.passwordRequirements')} />
              {f.advanced && (
                <div class="grid">
                  <Field id="pw-length" label="Length" type="number" value={f.length} onInput={set('length')} error={rule('parameters.passwordRequirements.length')} />
                  <Field id="pw-digits" label="Required digits" type="number" value={f.digits} onInput={set('digits')} error={rules('parameters.passwordRequirements.required.digits', 'parameters.passwordRequirements.required')} />
                  <Field id="pw-lowercase" label="Required lowercase" type="number" value={f.lowercase} onInput={set('lowercase')} error={rule('parameters.passwordRequirements.required.lowercase')} />
                  <Field id="pw-uppercase" label="Required uppercase" type="number" value={f.uppercase} onInput={set('uppercase')} error={rule('parameters.passwordRequirements.required.uppercase')} />
                  <Field id="pw-symbols" label="Required symbols" type="number" value={f.symbols} onInput={set('symbols')} error={rule('parameters.passwordRequirements.required.symbols')} />
                  <Field id="pw-allowed" label="Allowed symbols" value={f.allowedSymbols} onInput={set('allowedSymbols')} error={rule('parameters.passwordRequirements.allowedSymbols')} />
                </div>
              )}
            </details>
          </>
        )}
        {step === 2 && (
          <>
            <p class="hint">
              The secrets in {f.environment}:{f.secretPath} that applications read; every rotation writes a new version of both.
            </p>
            <Field id="secretsMapping.username" label="Username secret name" value={f.usernameSecret} onInput={set('usernameSecret')} error={rules('secretsMapping.username', 'secretsMapping')} />
            <Field id="secretsMapping.password" label="Password secret name" value={f.passwordSecret} onInput={set('passwordSecret')} error={rule('secretsMapping.password')} />
          </>
        )}
        {step === 3 && (
          <>
            <Field id="name" label="Name" value={f.name} onInput={set('name')} error={rule('name')} hint="Lowercase letters, digits and hyphens." input={{ autoComplete: 'off' }} />
            <Field id="description" label="Description (optional)" multiline value={f.description} onInput={set('description')} error={rule('description')} />
          </>
        )}
        {step === 4 && (
          <dl class="config review">
            <dt>Connection</dt>
            <dd>{conn ? conn.name : <span class="field-error">none chosen</span>}</dd>
            <dt>Where</dt>
            <dd>
              {f.environment}:{f.secretPath}
            </dd>
            <dt>Schedule</dt>
            <dd>
              {f.isAutoRotationEnabled ? `every ${f.rotationInterval} days at ${f.rotateAt} UTC` : 'auto-rotation off'}
              {hours !== undefined && minutes !== undefined && f.isAutoRotationEnabled && ` (${localTimeOfDay(hours, minutes)} your time)`}
              {Number(f.rotationWindowMinutes) > 0 && `, within ${f.rotationWindowMinutes} minutes`}
            </dd>
            <dt>Minimum overlap</dt>
            <dd>{f.minimumOverlapSeconds} s</dd>
            <dt>Roles</dt>
            <dd>
              {f.username1 || '—'}, {f.username2 || '—'}
            </dd>
            <dt>Rotation statement</dt>
            <dd>{f.rotationStatement ? <code>{f.rotationStatement}</code> : 'default'}</dd>
            <dt>Password</dt>
            <dd>{f.advanced ? `${f.length} characters, custom requirements` : '48 characters (default requirements)'}</dd>
            <dt>Secrets</dt>
            <dd>
              <code>{f.usernameSecret}</code>, <code>{f.passwordSecret}</code>
            </dd>
            <dt>Name</dt>
            <dd>{f.name || '—'}</dd>
            <dt>Description</dt>
            <dd>{f.description || '—'}</dd>
          </dl>
        )}
        {step === 4 && <p class="hint">Create checks the target (both roles exist, may log in, the connection may change their passwords), then gives both roles fresh passwords and publishes the first.</p>}
        <div class="wizard-nav">
          {step > 0 && (
            <button type="button" class="btn plain" onClick={() => setStep(step - 1)}>
              Back
            </button>
          )}
          <a class="btn plain" href={href('/', { project: project.id })}>
            Cancel
          </a>
          <button type="submit" class="btn primary" disabled={busy}>
            {step < STEPS.length - 1 ? 'Next' : busy ? 'Creating… (checking the target)' : 'Create'}
          </button>
        </div>
      </form>
    </>
  );
}

/** Every field the form shows an error on (the shared settings and its own); an error naming another field goes to the banner. */
const FORM_FIELDS = new Set([
  ...SETTING_FIELDS,
  'connectionId',
  'environment',
  'secretPath',
  'parameters.username1',
  'parameters.username2',
  'parameters.rotationStatement',
  'parameters.rotationStatementPassword',
  'parameters.passwordRequirements',
  'parameters.passwordRequirements.length',
  'parameters.passwordRequirements.required',
  'parameters.passwordRequirements.required.digits',
  'parameters.passwordRequirements.required.lowercase',
  'parameters.passwordRequirements.required.uppercase',
  'parameters.passwordRequirements.required.symbols',
  'parameters.passwordRequirements.allowedSymbols',
]);
