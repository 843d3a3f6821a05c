// Internal consistency of the deployment manifests: docker-compose.yml and deploy/kubernetes/. Nothing is deployed;
// the files are parsed and every name, label, port, probe path and environment variable is checked against the
// other manifests and against the product's source.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, parseDocument } from 'yaml';
import { argv, type ComposeFile, environmentOf, interpolate } from '../support/compose-file.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const k8sDir = path.join(root, 'deploy', 'kubernetes');

/**
 * Read by @temporalio/envconfig (the SDK's environment configuration), not by our schema in src/config.ts. Each
 * name is checked against the package's own source below, so the list cannot name a variable the SDK ignores.
 */
const ENVCONFIG_ENV_NAMES = [
  'TEMPORAL_ADDRESS',
  'TEMPORAL_NAMESPACE',
  'TEMPORAL_API_KEY',
  'TEMPORAL_PROFILE',
  'TEMPORAL_CONFIG_FILE',
  'TEMPORAL_TLS',
  'TEMPORAL_TLS_CLIENT_CERT_PATH',
  'TEMPORAL_TLS_CLIENT_KEY_PATH',
  'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
  'TEMPORAL_TLS_SERVER_NAME',
];

/** Names whose value is a secret: they must come from a Secret, never be written into a manifest. */
const SECRET_NAME = /KEY|TOKEN|PASSWORD|SECRET|DATABASE_URL/;

// ---- the product's side ------------------------------------------------------------------------------------------

/** The environment variables of our configuration schema (src/config.ts, the one home of every setting). */
function schemaEnvNames(): Set<string> {
  const text = readFileSync(path.join(root, 'src', 'config.ts'), 'utf8');
  // Its keys are the only upper-case object keys in the file (the typed configuration is camelCase).
  return new Set([...text.matchAll(/^\s+([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1]!));
}

function envconfigSource(): string {
  const require = createRequire(import.meta.url);
  const libDir = path.dirname(require.resolve('@temporalio/envconfig'));
  return readdirSync(libDir)
    .filter((f) => f.endsWith('.js'))
    .map((f) => readFileSync(path.join(libDir, f), 'utf8'))
    .join('\n');
}

/** Source files a program runs: its entry file and every relative import, transitively. */
function programSources(entry: string): Map<string, string> {
  const files = new Map<string, string>();
  const visit = (file: string) => {
    if (files.has(file) || !existsSync(file)) return;
    const text = readFileSync(file, 'utf8');
    files.set(file, text);
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
      visit(path.resolve(path.dirname(file), m[1]!.replace(/\.js$/, '.ts')));
    }
  };
  visit(path.join(root, entry));
  return files;
}

/** The src/*.ts program a command runs: named in it, or in the launcher script (bin/…) it runs. */
function entryOf(command: string[]): string | undefined {
  const named = command.find((a) => a.startsWith('src/') && a.endsWith('.ts'));
  if (named || !command[0]?.startsWith('bin/')) return named;
  return /\bsrc\/[\w/-]+\.ts\b/.exec(readFileSync(path.join(root, command[0]), 'utf8'))?.[0];
}

/** Whether the program behind `command` serves `urlPath`: the path appears as a string literal in its sources. */
function serves(command: string[], urlPath: string): boolean {
  const entry = entryOf(command);
  expect(entry, `no src/*.ts entry in ${command.join(' ')}`).toBeDefined();
  const literal = new RegExp(`['"\`]${urlPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}['"\`]`);
  return [...programSources(entry!).values()].some((text) => literal.test(text));
}

// ---- Kubernetes ----------------------------------------------------------------------------------------------------

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean }; configMapKeyRef?: { name: string; key: string } };
}
interface Probe {
  httpGet?: { path: string; port: string | number };
}
interface Container {
  name: string;
  image: string;
  command?: string[];
  ports?: { name?: string; containerPort: number }[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
}
interface PodTemplate {
  metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
  spec: { containers: Container[] };
}
interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: {
    replicas?: number;
    minAvailable?: number;
    selector?: { matchLabels?: Record<string, string> } & Record<string, string>;
    template?: PodTemplate;
    ports?: { name?: string; port: number; targetPort: string | number }[];
  };
  data?: Record<string, string>;
  resources?: string[];
}

const kustomization = parseDocument(readFileSync(path.join(k8sDir, 'kustomization.yaml'), 'utf8')).toJS() as K8sObject;
const manifestFiles = readdirSync(k8sDir).filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml');
const objects: K8sObject[] = manifestFiles.flatMap((f) =>
  parseAllDocuments(readFileSync(path.join(k8sDir, f), 'utf8')).map((doc) => doc.toJS() as K8sObject),
);
const ofKind = (kind: string) => objects.filter((o) => o.kind === kind);
const deployments = ofKind('Deployment');
const configMaps = ofKind('ConfigMap');
const containers = deployments.flatMap((d) => d.spec!.template!.spec.containers.map((c) => ({ deployment: d, container: c })));

const selects = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);
const podLabels = (d: K8sObject) => d.spec!.template!.metadata.labels;
const portNumber = (c: Container, port: string | number) => (typeof port === 'number' ? port : c.ports?.find((p) => p.name === port)?.containerPort);
const envValue = (c: Container, name: string) => c.env?.find((e) => e.name === name)?.value;
/** Every environment variable name a container gets: its env entries and the keys of the ConfigMaps it imports. */
function envNames(c: Container): string[] {
  const fromMaps = (c.envFrom ?? []).flatMap((f) => Object.keys(configMaps.find((m) => m.metadata.name === f.configMapRef?.name)?.data ?? {}));
  return [...(c.env ?? []).map((e) => e.name), ...fromMaps];
}
/** The value a container sees for `name`, from env or from an imported ConfigMap. */
function resolvedEnv(c: Container, name: string): string | undefined {
  return envValue(c, name) ?? (c.envFrom ?? []).map((f) => configMaps.find((m) => m.metadata.name === f.configMapRef?.name)?.data?.[name]).find((v) => v !== undefined);
}
const probesOf = (c: Container) =>
  (['livenessProbe', 'readinessProbe', 'startupProbe'] as const).flatMap((kind) => (c[kind]?.httpGet ? [{ kind, ...c[kind].httpGet }] : []));

describe('deploy/kubernetes', () => {
  it('every manifest parses and is listed in kustomization.yaml (and every listed file exists)', () => {
    for (const f of manifestFiles) {
      for (const doc of parseAllDocuments(readFileSync(path.join(k8sDir, f), 'utf8'))) expect(doc.errors, f).toEqual([]);
    }
    expect([...(kustomization.resources ?? [])].sort()).toEqual([...manifestFiles].sort());
    for (const o of objects) expect(o.metadata?.name, `${o.kind} without a name`).toMatch(/^[a-z0-9-]+$/);
  });

  it('has a worker Deployment with a PodDisruptionBudget, and an API Deployment behind a Service', () => {
    expect(deployments.map((d) => podLabels(d)['app.kubernetes.io/component']).sort()).toEqual(['api', 'worker']);
    expect(ofKind('PodDisruptionBudget')).toHaveLength(1);
    expect(ofKind('Service')).toHaveLength(1);
    expect(ofKind('Secret'), 'secrets are created by the operator, never shipped').toEqual([]);
  });

  it("each Deployment's selector matches its own pod labels and no other Deployment's pods", () => {
    for (const d of deployments) {
      const selector = d.spec!.selector!.matchLabels!;
      expect(Object.keys(selector).length, d.metadata.name).toBeGreaterThan(0);
      expect(selects(selector, podLabels(d)), d.metadata.name).toBe(true);
      for (const other of deployments.filter((o) => o !== d)) expect(selects(selector, podLabels(other)), `${d.metadata.name} selects ${other.metadata.name}`).toBe(false);
    }
  });

  it('the PodDisruptionBudget selects exactly the worker pods and still lets a node drain', () => {
    const [pdb] = ofKind('PodDisruptionBudget');
    const selected = deployments.filter((d) => selects(pdb!.spec!.selector!.matchLabels!, podLabels(d)));
    expect(selected.map((d) => podLabels(d)['app.kubernetes.io/component'])).toEqual(['worker']);
    expect(pdb!.spec!.minAvailable).toBeGreaterThanOrEqual(1);
    expect(pdb!.spec!.minAvailable).toBeLessThan(selected[0]!.spec!.replicas ?? 1);
  });

  it("the Service selects exactly the API pods, and each targetPort is a containerPort of theirs; the http port is the API's port", () => {
    const [service] = ofKind('Service');
    const selected = deployments.filter((d) => selects(service!.spec!.selector as Record<string, string>, podLabels(d)));
    expect(selected.map((d) => podLabels(d)['app.kubernetes.io/component'])).toEqual(['api']);
    const api = selected[0]!.spec!.template!.spec.containers[0]!;
    for (const port of service!.spec!.ports!) expect(portNumber(api, port.targetPort), `targetPort ${port.targetPort}`).toBeDefined();
    expect(String(portNumber(api, 'http'))).toBe(resolvedEnv(api, 'ROTATOR_API_PORT'));
  });

  it('probes hit a declared container port on which the process listens, at a path its source serves', () => {
    const listening = (c: Container) => [resolvedEnv(c, 'ROTATOR_API_PORT'), resolvedEnv(c, 'ROTATOR_METRICS_PORT')].filter(Boolean);
    for (const { deployment, container } of containers) {
      const probes = probesOf(container);
      expect(probes.map((p) => p.kind).sort(), deployment.metadata.name).toEqual(['livenessProbe', 'readinessProbe', 'startupProbe']);
      expect(probes.find((p) => p.kind === 'livenessProbe')?.path).toBe('/healthz');
      expect(probes.find((p) => p.kind === 'readinessProbe')?.path).toBe('/readyz');
      for (const probe of probes) {
        const port = portNumber(container, probe.port);
        expect(port, `${deployment.metadata.name} ${probe.kind} port ${probe.port}`).toBeDefined();
        expect(listening(container), `${deployment.metadata.name} ${probe.kind}: nothing listens on ${port}`).toContain(String(port));
        expect(serves(container.command ?? [], probe.path), `${deployment.metadata.name} ${probe.kind}: ${probe.path} is not served by ${container.command?.join(' ')}`).toBe(true);
      }
    }
  });

  it('metrics: the scrape annotations name the metrics port, and the metrics server listens beyond loopback', () => {
    for (const { deployment, container } of containers) {
      const annotations = deployment.spec!.template!.metadata.annotations ?? {};
      expect(annotations['prometheus.io/port']).toBe(resolvedEnv(container, 'ROTATOR_METRICS_PORT'));
      expect(String(portNumber(container, 'metrics'))).toBe(resolvedEnv(container, 'ROTATOR_METRICS_PORT'));
      expect(serves(container.command ?? [], annotations['prometheus.io/path'] ?? '')).toBe(true);
      expect(resolvedEnv(container, 'ROTATOR_METRICS_HOST')).toBe('0.0.0.0');
    }
  });

  it('no secret is written into a manifest: secret-named variables come from the Secret `pg-rotator`', () => {
    for (const m of configMaps) for (const key of Object.keys(m.data ?? {})) expect(key, `ConfigMap ${m.metadata.name}`).not.toMatch(SECRET_NAME);
    for (const { deployment, container } of containers) {
      for (const e of container.env ?? []) {
        if (!SECRET_NAME.test(e.name)) continue;
        expect(e.value, `${deployment.metadata.name} ${e.name} has an inline value`).toBeUndefined();
        expect(e.valueFrom?.secretKeyRef?.name, `${deployment.metadata.name} ${e.name}`).toBe('pg-rotator');
      }
      expect(envNames(container)).toEqual(expect.arrayContaining(['DATABASE_URL', 'ROTATOR_ENCRYPTION_KEYS']));
    }
  });

  it('the README creates the Secret with every required key the manifests read, and names the optional ones', () => {
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    const create = readme.match(/kubectl create secret generic pg-rotator\b(?:[^\n\\]|\\\n)*/)?.[0] ?? '';
    expect(create, 'README: `kubectl create secret generic pg-rotator …`').not.toBe('');
    const refs = containers.flatMap(({ container }) => (container.env ?? []).flatMap((e) => (e.valueFrom?.secretKeyRef ? [e.valueFrom.secretKeyRef] : [])));
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) {
      // An optional key (a Temporal API key) is named in the README, to be added where it applies.
      if (ref.optional) expect(readme, `README does not mention the optional key ${ref.key}`).toContain(`--from-literal=${ref.key}=`);
      else expect(create, `README's kubectl create secret lacks ${ref.key}`).toContain(`--from-literal=${ref.key}=`);
    }
  });

  it('every environment variable is one the product reads (src/config.ts, or @temporalio/envconfig)', () => {
    const known = new Set([...schemaEnvNames(), ...ENVCONFIG_ENV_NAMES]);
    for (const { deployment, container } of containers) {
      for (const name of envNames(container)) expect(known, `${deployment.metadata.name}: ${name} is not a setting of pg-rotator`).toContain(name);
    }
  });

  it('runs the image of this version, the worker and the API from the same one', () => {
    const { version } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
    expect(new Set(containers.map(({ container }) => container.image))).toEqual(new Set([`pg-rotator:${version}`]));
    for (const { container } of containers) expect(existsSync(path.join(root, entryOf(container.command!) ?? container.command!.join(' '))), container.command!.join(' ')).toBe(true);
  });
});

describe('the environment-name allow-list for @temporalio/envconfig', () => {
  it('names only variables the package reads', () => {
    const source = envconfigSource();
    for (const name of ENVCONFIG_ENV_NAMES) expect(source, name).toContain(`'${name}'`);
  });
});

// ---- docker-compose.yml ------------------------------------------------------------------------------------------

const compose = parseDocument(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8')).toJS() as ComposeFile;

describe.each(['worker', 'api'])('docker-compose.yml %s', (name) => {
  const service = compose.services[name] ?? {};
  const env = environmentOf(service);
  const command = argv(service.command);

  it('serves metrics beyond loopback on a published port, as in the Kubernetes manifests', () => {
    const k8s = containers.find(({ container }) => container.command?.at(-1) === command.at(-1));
    expect(k8s, `no Kubernetes container runs ${command.join(' ')}`).toBeDefined();
    expect(env.ROTATOR_METRICS_PORT).toBe(resolvedEnv(k8s!.container, 'ROTATOR_METRICS_PORT'));
    expect(env.ROTATOR_METRICS_HOST).toBe('0.0.0.0');
    const published = (service.ports ?? []).map((p) => interpolate(String(p)).split(':').at(-1));
    expect(published).toContain(env.ROTATOR_METRICS_PORT);
    expect(serves(command, '/metrics')).toBe(true);
  });

  it('health-checks /readyz on a port the process listens on, a path its source serves', () => {
    const check = JSON.stringify(service.healthcheck?.test ?? '');
    const url = check.match(/http:\/\/127\.0\.0\.1:(\d+)(\/[a-z]+)/);
    expect(url, check).not.toBeNull();
    expect([env.ROTATOR_API_PORT, env.ROTATOR_METRICS_PORT]).toContain(url![1]);
    expect(url![2]).toBe('/readyz');
    expect(serves(command, url![2]!)).toBe(true);
  });

  it('sets only variables the product reads, secret ones from the caller’s environment', () => {
    const known = new Set([...schemaEnvNames(), ...ENVCONFIG_ENV_NAMES]);
    for (const [key, value] of Object.entries(env)) {
      expect(known, `${name}: ${key} is not a setting of pg-rotator`).toContain(key);
      // DATABASE_URL embeds the compose database's development password, itself overridable by the caller.
      if (SECRET_NAME.test(key) && key !== 'DATABASE_URL') expect(value, key).toMatch(/^\$\{[A-Z_]+(:\?[^}]*)\}$/);
    }
  });
});
