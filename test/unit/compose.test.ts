// Static checks of docker-compose.yml, the Dockerfile and everything they reference.
// No Docker engine is needed: the files are parsed and every reference is resolved against the repo.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { argv, type ComposeFile, environmentOf, interpolate, type Service } from '../support/compose-file.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const composeFile = path.join(root, 'docker-compose.yml');
const composeText = readFileSync(composeFile, 'utf8');
const composeDoc = parseDocument(composeText);

const compose = composeDoc.toJS() as ComposeFile;
const services = Object.entries(compose.services ?? {});
const serviceNames = services.map(([name]) => name);
const builtServices = services.filter(([, s]) => s.build !== undefined);

interface Mount {
  type: 'bind' | 'volume' | 'tmpfs';
  source: string | undefined;
  target: string;
}

function mountsOf(service: Service): Mount[] {
  return (service.volumes ?? []).map((entry): Mount => {
    if (typeof entry === 'string') {
      const parts = interpolate(entry).split(':');
      if (parts.length === 1) return { type: 'volume', source: undefined, target: parts[0] ?? '' };
      const [source = '', target = ''] = parts;
      const isPath = /^[./~]/.test(source);
      return { type: isPath ? 'bind' : 'volume', source, target };
    }
    const type = String(entry.type) as Mount['type'];
    const source = entry.source === undefined ? undefined : interpolate(String(entry.source));
    return { type, source, target: String(entry.target) };
  });
}

/** Host file behind an absolute container path, through the service's bind mounts (longest target wins). */
function hostPathOf(service: Service, containerPath: string): string | undefined {
  const binds = mountsOf(service)
    .filter((m) => m.type === 'bind' && m.source !== undefined)
    .filter((m) => containerPath === m.target || containerPath.startsWith(`${m.target.replace(/\/$/, '')}/`))
    .sort((a, b) => b.target.length - a.target.length);
  const bind = binds[0];
  if (bind?.source === undefined) return undefined;
  return path.join(root, bind.source, path.posix.relative(bind.target, containerPath));
}

function buildOf(service: Service): { context: string; dockerfile: string } | undefined {
  if (service.build === undefined) return undefined;
  const build = typeof service.build === 'string' ? { context: service.build } : service.build;
  const context = path.resolve(root, interpolate(build.context ?? '.'));
  return { context, dockerfile: path.resolve(context, interpolate(build.dockerfile ?? 'Dockerfile')) };
}

interface Instruction {
  keyword: string;
  args: string;
}

function dockerfileInstructions(file: string): Instruction[] {
  const logical = readFileSync(file, 'utf8')
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  return logical.map((line) => {
    const [keyword = '', ...rest] = line.split(/\s+/);
    return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
  });
}

/** Sources of a COPY/ADD from the build context; undefined when it copies from another stage or image. */
function copySources(args: string): string[] | undefined {
  let rest = args.trim();
  const flags: string[] = [];
  while (rest.startsWith('--')) {
    const [flag = '', ...tail] = rest.split(/\s+/);
    flags.push(flag);
    rest = tail.join(' ');
  }
  if (flags.some((f) => f.startsWith('--from'))) return undefined;
  const parts = rest.startsWith('[') ? (JSON.parse(rest) as string[]) : rest.split(/\s+/);
  return parts.slice(0, -1);
}

function dockerignorePatterns(context: string): string[] {
  const file = path.join(context, '.dockerignore');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#') && !line.startsWith('!'));
}

interface PublishedPort {
  service: string;
  hostIp: string;
  hostPort: string;
  protocol: string;
}

function publishedPorts(name: string, service: Service): PublishedPort[] {
  return (service.ports ?? []).flatMap((entry): PublishedPort[] => {
    if (typeof entry === 'object') {
      if (entry.published === undefined) return [];
      return [
        {
          service: name,
          hostIp: entry.host_ip === undefined ? '' : String(entry.host_ip),
          hostPort: interpolate(String(entry.published)),
          protocol: entry.protocol === undefined ? 'tcp' : String(entry.protocol),
        },
      ];
    }
    const [spec = '', protocol = 'tcp'] = interpolate(String(entry)).split('/');
    const parts = spec.split(':');
    if (parts.length < 2) return []; // container port only: nothing published on a fixed host port
    const hostPort = parts[parts.length - 2] ?? '';
    const hostIp = parts.slice(0, -2).join(':');
    return [{ service: name, hostIp, hostPort, protocol }];
  });
}

function dependsOn(service: Service): Record<string, string> {
  const deps = service.depends_on;
  if (deps === undefined) return {};
  if (Array.isArray(deps)) return Object.fromEntries(deps.map((d) => [d, 'service_started']));
  return Object.fromEntries(Object.entries(deps).map(([d, v]) => [d, v?.condition ?? 'service_started']));
}

const required = (name: string) => new RegExp(`^\\$\\{${name}:\\?[^}]+\\}$`);

describe('docker-compose.yml', () => {
  it('parses as YAML without errors or warnings and has the expected top level', () => {
    expect(composeDoc.errors).toEqual([]);
    expect(composeDoc.warnings).toEqual([]);
    expect(services.length).toBeGreaterThan(0);
    const allowed = new Set(['name', 'services', 'volumes', 'networks', 'configs', 'secrets', 'include']);
    const unexpected = Object.keys(compose).filter((k) => !allowed.has(k) && !k.startsWith('x-'));
    expect(unexpected, 'top-level keys (the obsolete `version` included)').toEqual([]);
  });

  it('defines the services the design names', () => {
    expect(serviceNames).toEqual(
      expect.arrayContaining(['postgresql', 'temporal', 'temporal-ui', 'worker']),
    );
  });

  describe.each(services)('service %s', (name, service) => {
    it('has a pinned image tag or a build', () => {
      if (service.build !== undefined) return;
      expect(service.image, `${name} needs an image or a build`).toBeTypeOf('string');
      const image = interpolate(service.image ?? '');
      const lastSegment = image.split('/').pop() ?? '';
      const digest = image.includes('@sha256:');
      const tag = lastSegment.includes(':') ? lastSegment.split(':')[1]?.split('@')[0] : undefined;
      expect(digest || (tag !== undefined && tag !== '' && tag !== 'latest'), `${image} is not pinned`).toBe(true);
    });

    it('has a Dockerfile in its build context', () => {
      const build = buildOf(service);
      if (build === undefined) return;
      expect(existsSync(build.context) && statSync(build.context).isDirectory(), build.context).toBe(true);
      expect(existsSync(build.dockerfile), build.dockerfile).toBe(true);
    });

    it('bind-mounts only paths that exist in the repo, and declares its named volumes', () => {
      for (const mount of mountsOf(service)) {
        if (mount.type === 'bind') {
          expect(mount.source, `${name}: bind source of ${mount.target}`).toMatch(/^\.\.?\//);
          const host = path.resolve(root, mount.source ?? '');
          expect(existsSync(host), `${name}: ${mount.source} does not exist`).toBe(true);
        } else if (mount.type === 'volume' && mount.source !== undefined) {
          expect(Object.keys(compose.volumes ?? {}), `${name}: volume ${mount.source}`).toContain(mount.source);
        }
      }
    });

    it('names only existing files in env_file, configs and secrets', () => {
      const envFiles = service.env_file === undefined ? [] : [service.env_file].flat();
      for (const entry of envFiles) {
        const file = typeof entry === 'string' ? entry : entry.path;
        expect(existsSync(path.resolve(root, interpolate(file))), `${name}: env_file ${file}`).toBe(true);
      }
      for (const kind of ['configs', 'secrets'] as const) {
        for (const ref of service[kind] ?? []) {
          const key = typeof ref === 'string' ? ref : String(ref.source);
          const top = compose[kind]?.[key];
          expect(top, `${name}: ${kind}.${key} is not defined at the top level`).toBeDefined();
          if (top?.file !== undefined) {
            expect(existsSync(path.resolve(root, interpolate(top.file))), `${kind}.${key}: ${top.file}`).toBe(true);
          }
        }
      }
    });

    it('depends only on defined services, with conditions they can meet', () => {
      for (const [dep, condition] of Object.entries(dependsOn(service))) {
        expect(serviceNames, `${name} depends on ${dep}`).toContain(dep);
        expect(['service_started', 'service_healthy', 'service_completed_successfully']).toContain(condition);
        const target = compose.services[dep];
        if (condition === 'service_healthy') {
          expect(target?.healthcheck, `${dep} needs a healthcheck for ${name}`).toBeDefined();
        }
        if (condition === 'service_completed_successfully') {
          expect(['always', 'unless-stopped'], `${dep} must be a one-shot job`).not.toContain(target?.restart);
        }
      }
    });

    it('runs only scripts that exist', () => {
      const args = [...argv(service.entrypoint), ...argv(service.command)];
      for (const arg of args) {
        if (arg.startsWith('/')) {
          // An absolute container path inside a bind mount must exist on the host side.
          const host = hostPathOf(service, arg);
          if (host !== undefined) expect(existsSync(host), `${name}: ${arg} → ${host}`).toBe(true);
        } else if (service.build !== undefined && /\.(?:ts|mts|js|mjs|cjs)$/.test(arg)) {
          const build = buildOf(service);
          expect(existsSync(path.resolve(build?.context ?? root, arg)), `${name}: ${arg}`).toBe(true);
        }
      }
    });
  });

  it('publishes distinct host ports, the REST API on 8080', () => {
    const ports = services.flatMap(([name, service]) => publishedPorts(name, service));
    const keys = ports.map((p) => `${p.hostPort}/${p.protocol}`);
    expect(new Set(keys).size, JSON.stringify(ports)).toBe(keys.length);
    for (const port of ports) expect(port.hostPort, port.service).toMatch(/^\d+$/);
    expect(ports.filter((p) => p.hostPort === '8080').map((p) => p.service)).toEqual(['api']);
    expect(ports.find((p) => p.service === 'temporal-ui')?.hostPort).toBe('8233');
  });

  it('publishes the worker and API metrics ports (9464, 9465) on the host loopback only', () => {
    const ports = services.flatMap(([name, service]) => publishedPorts(name, service));
    const metrics = ports.filter((p) => p.hostPort === '9464' || p.hostPort === '9465');
    expect(metrics.map((p) => `${p.service}:${p.hostPort}`).sort()).toEqual(['api:9465', 'worker:9464']);
    for (const port of metrics) expect(port.hostIp, `${port.service}:${port.hostPort}`).toBe('127.0.0.1');
  });

  it('requires ROTATOR_ENCRYPTION_KEY from the environment and never holds a literal key', () => {
    const users = services.filter(([, s]) => 'ROTATOR_ENCRYPTION_KEY' in environmentOf(s));
    expect(users.map(([n]) => n)).toContain('worker');
    for (const [name, service] of users) {
      expect(environmentOf(service).ROTATOR_ENCRYPTION_KEY, name).toMatch(required('ROTATOR_ENCRYPTION_KEY'));
    }
    // Nothing that looks like a 32-byte key (base64 or hex) anywhere outside comments.
    const code = composeText
      .split(/\r?\n/)
      .filter((line) => !line.trimStart().startsWith('#'))
      .join('\n');
    expect(code).not.toMatch(/[A-Za-z0-9+/]{43}=/);
    expect(code).not.toMatch(/\b[0-9a-fA-F]{64}\b/);
  });

  describe('worker', () => {
    const worker = compose.services.worker ?? {};
    const env = environmentOf(worker);

    it('is built from ./Dockerfile and runs the worker launcher (src/worker.ts with a worker-sized heap)', () => {
      expect(buildOf(worker)?.dockerfile).toBe(path.join(root, 'Dockerfile'));
      expect(worker.command).toEqual(['bin/pg-rotator-worker']);
      expect(readFileSync(path.join(root, 'bin', 'pg-rotator-worker'), 'utf8')).toMatch(/exec node --max-old-space-size=\S+ .*src\/worker\.ts/);
      expect(existsSync(path.join(root, 'src', 'worker.ts')), 'src/worker.ts').toBe(true);
    });

    it('talks to the compose Temporal and to the rotator control database', () => {
      expect(env.TEMPORAL_ADDRESS).toBe('temporal:7233');
      const url = new URL(interpolate(env.DATABASE_URL ?? ''));
      expect(url.protocol).toBe('postgres:');
      expect(url.hostname).toBe('postgresql');
      expect(url.port).toBe('5432');
      expect(url.pathname).toBe('/rotator');
    });

    it('starts only after PostgreSQL and Temporal are healthy and the namespace is set up', () => {
      expect(dependsOn(worker)).toMatchObject({
        postgresql: 'service_healthy',
        temporal: 'service_healthy',
        'temporal-create-namespace': 'service_completed_successfully',
      });
    });
  });

  describe('api', () => {
    const api = compose.services.api ?? {};
    const env = environmentOf(api);

    it('runs src/api/main.ts from the worker image, requires both secrets from the environment, and checks /readyz', () => {
      expect(buildOf(api)?.dockerfile).toBe(path.join(root, 'Dockerfile'));
      expect(api.command).toEqual(['npx', 'tsx', 'src/api/main.ts']);
      expect(existsSync(path.join(root, 'src', 'api', 'main.ts')), 'src/api/main.ts').toBe(true);
      expect(env.ROTATOR_ENCRYPTION_KEY).toMatch(required('ROTATOR_ENCRYPTION_KEY'));
      expect(env.ROTATOR_ADMIN_TOKEN).toMatch(required('ROTATOR_ADMIN_TOKEN'));
      expect(env.ROTATOR_API_HOST).toBe('0.0.0.0');
      expect(JSON.stringify(api.healthcheck)).toContain('127.0.0.1:8080/readyz');
      expect(dependsOn(api)).toMatchObject({ postgresql: 'service_healthy', temporal: 'service_healthy' });
    });
  });

  describe('temporal', () => {
    const server = compose.services.temporal ?? {};
    const tagOf = (image: string | undefined) => image?.split(':').pop();

    it('uses the current official layout: schema job, temporalio/server on postgres12, UI', () => {
      expect(server.image).toMatch(/^temporalio\/server:/);
      expect(environmentOf(server).DB).toBe('postgres12');
      expect(dependsOn(server)).toEqual({ 'temporal-schema-setup': 'service_completed_successfully' });
      expect(compose.services['temporal-schema-setup']?.image).toMatch(/^temporalio\/admin-tools:/);
      expect(compose.services['temporal-ui']?.image).toMatch(/^temporalio\/ui:/);
      const adminTools = services.filter(([, s]) => s.image?.startsWith('temporalio/admin-tools:'));
      for (const [name, s] of adminTools) expect(tagOf(s.image), name).toBe(tagOf(server.image));
    });

    it('finds its dynamic config file through the bind mount', () => {
      const relative = environmentOf(server).DYNAMIC_CONFIG_FILE_PATH ?? '';
      expect(relative).not.toBe('');
      const host = hostPathOf(server, path.posix.resolve('/etc/temporal', relative));
      expect(host, 'DYNAMIC_CONFIG_FILE_PATH is not inside a bind mount').toBeDefined();
      expect(existsSync(host ?? ''), host).toBe(true);
      const doc = parseDocument(readFileSync(host ?? '', 'utf8'));
      expect(doc.errors).toEqual([]);
    });

    it('registers the search attributes the workflow sets', () => {
      const job = compose.services['temporal-create-namespace'] ?? {};
      expect(dependsOn(job)).toEqual({ temporal: 'service_healthy' });
      const script = argv(job.command).find((a) => a.startsWith('/'));
      const host = hostPathOf(job, script ?? '');
      expect(host).toBeDefined();
      const text = readFileSync(host ?? '', 'utf8');
      for (const attribute of ['PgRotationProjectId:Keyword', 'PgRotationStatus:Keyword', 'PgRotationNextAt:Datetime']) {
        expect(text).toContain(attribute);
      }
      expect(text).toContain('temporal operator search-attribute create');
    });
  });

  describe('postgresql', () => {
    const pg = compose.services.postgresql ?? {};

    it('uses scram-sha-256 and has a healthcheck and a persistent volume', () => {
      expect(pg.image).toMatch(/^postgres:16(?:[.-]|$)/);
      expect(pg.healthcheck).toBeDefined();
      expect(mountsOf(pg).some((m) => m.type === 'volume' && m.target === '/var/lib/postgresql/data')).toBe(true);
      const env = environmentOf(pg);
      expect(env.POSTGRES_HOST_AUTH_METHOD).toBe('scram-sha-256');
      expect(env.POSTGRES_INITDB_ARGS).toContain('--auth-host=scram-sha-256');
    });

    it('creates the rotator control database from an init script', () => {
      const initDir = hostPathOf(pg, '/docker-entrypoint-initdb.d');
      expect(initDir).toBeDefined();
      const scripts = readdirSync(initDir ?? '').filter((f) => /\.(?:sh|sql|sql\.gz)$/.test(f));
      expect(scripts.length).toBeGreaterThan(0);
      const text = scripts.map((f) => readFileSync(path.join(initDir ?? '', f), 'utf8')).join('\n');
      expect(text).toMatch(/CREATE DATABASE rotator\b/i);
      expect(text).toMatch(/password_encryption\s*=\s*'scram-sha-256'/i);
    });
  });
});

describe.each(builtServices)('Dockerfile of %s', (_name, service) => {
  const build = buildOf(service);
  const context = build?.context ?? root;
  const instructions = build === undefined ? [] : dockerfileInstructions(build.dockerfile);

  it('starts from a pinned Node 20 image', () => {
    const from = instructions.filter((i) => i.keyword === 'FROM').map((i) => i.args.split(/\s+/)[0] ?? '');
    expect(from.length).toBeGreaterThan(0);
    for (const image of from) {
      expect(image).toMatch(/:[\w][\w.-]*$/);
      expect(image).not.toMatch(/:latest$/);
    }
    expect(from[0]).toMatch(/^node:20[.-]/);
  });

  it('copies only files that exist and are not excluded by .dockerignore', () => {
    const ignored = dockerignorePatterns(context).map((p) => p.replace(/^\/|\/$/g, ''));
    const copies = instructions.filter((i) => i.keyword === 'COPY' || i.keyword === 'ADD');
    expect(copies.length).toBeGreaterThan(0);
    for (const copy of copies) {
      for (const source of copySources(copy.args) ?? []) {
        expect(existsSync(path.resolve(context, source)), `COPY ${source}`).toBe(true);
        expect(ignored, `COPY ${source} is excluded by .dockerignore`).not.toContain(source.replace(/^\.\/|\/$/g, ''));
      }
    }
  });

  it('keeps local state out of the build context', () => {
    const ignored = dockerignorePatterns(context);
    for (const entry of ['node_modules', '.data', '.venv', '.git']) expect(ignored).toContain(entry);
  });

  it('ships the product only: neither the dev stack (dev/) nor tests nor benchmarks', () => {
    const ignored = dockerignorePatterns(context).map((p) => p.replace(/^\/|\/$/g, ''));
    const notShipped = ['dev', 'test', 'bench'];
    // Excluded from the build context, so not even a later `COPY . .` could bring them in…
    for (const folder of notShipped) expect(ignored, `.dockerignore must exclude ${folder}/`).toContain(folder);
    // …and no COPY names one of them or a file in one.
    for (const copy of instructions.filter((i) => i.keyword === 'COPY' || i.keyword === 'ADD')) {
      for (const source of copySources(copy.args) ?? []) {
        const from = path.resolve(context, source);
        for (const folder of notShipped) {
          const excluded = path.join(context, folder);
          expect(from === excluded || from.startsWith(`${excluded}${path.sep}`), `COPY ${source} ships ${folder}/`).toBe(false);
        }
      }
    }
  });

  it('installs with npm ci and runs as the unprivileged node user', () => {
    expect(instructions.some((i) => i.keyword === 'RUN' && /\bnpm ci\b/.test(i.args))).toBe(true);
    const users = instructions.filter((i) => i.keyword === 'USER');
    expect(users.at(-1)?.args).toBe('node');
  });
});
