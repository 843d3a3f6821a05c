import { useEffect, useState } from 'preact/hooks';

/** Hash routes (`#/rotations/<id>?project=…`): the server serves one page, and nothing secret is ever in them. */
export interface Route {
  path: string;
  params: URLSearchParams;
}

export function currentRoute(): Route {
  const raw = location.hash.replace(/^#/, '') || '/';
  const [path, query] = raw.split('?', 2);
  return { path: path || '/', params: new URLSearchParams(query ?? '') };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const on = () => setRoute(currentRoute());
    addEventListener('hashchange', on);
    on(); // effects run after paint: a change between the first render and now would otherwise be missed
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}

export function href(path: string, params: Record<string, string | undefined> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  const s = q.toString();
  return `#${path}${s ? `?${s}` : ''}`;
}

export function go(path: string, params: Record<string, string | undefined> = {}): void {
  location.hash = href(path, params);
}
