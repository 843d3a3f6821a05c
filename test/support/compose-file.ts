// docker-compose.yml as the tests read it: its types, and compose's variable interpolation and environment forms.

export type Dict = Record<string, unknown>;

export interface Service {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Dict | string[];
  env_file?: string | (string | { path: string })[];
  volumes?: (string | Dict)[];
  configs?: (string | Dict)[];
  secrets?: (string | Dict)[];
  ports?: (string | number | Dict)[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: Dict;
  restart?: string;
  profiles?: string[];
}

export interface ComposeFile {
  name?: string;
  services: Record<string, Service>;
  volumes?: Dict | null;
  configs?: Record<string, { file?: string }>;
  secrets?: Record<string, { file?: string }>;
}


/**
 * Compose variable interpolation with the file's own defaults (the caller's environment is ignored
 * so the test is deterministic): `${X:-d}`/`${X-d}` → d, `${X:?msg}`/`${X?msg}` → a placeholder,
 * `${X}`/`$X` → '', `$$` → `$`.
 */
export function interpolate(value: string): string {
  return value.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])((?:[^{}]|\{[^{}]*\})*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (match, _name: string | undefined, op: string | undefined, arg: string | undefined) => {
      if (match === '$$') return '$';
      if (op === ':-' || op === '-') return interpolate(arg ?? '');
      if (op === ':?' || op === '?') return 'REQUIRED';
      return '';
    },
  );
}

export function environmentOf(service: Service): Record<string, string> {
  const env = service.environment;
  if (env === undefined) return {};
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((entry) => {
        const at = entry.indexOf('=');
        return at < 0 ? [entry, ''] : [entry.slice(0, at), entry.slice(at + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

export function argv(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : value.split(/\s+/).filter(Boolean);
}
