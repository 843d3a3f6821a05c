import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, onUnauthorized, type Project, session, type TemporalUi, type TokenInfo } from './api.js';
import { ConnectionsPage } from './pages/connections.js';
import { Dashboard } from './pages/dashboard.js';
import { RotationPage } from './pages/rotation.js';
import { SignIn } from './pages/sign-in.js';
import { Wizard } from './pages/wizard.js';
import { href, useRoute } from './router.js';
import { ErrorNotice, Loading } from './ui.js';

/** What every signed-in page gets: the token's scopes, the projects it sees, the server's settings. */
export interface AppContext {
  token: TokenInfo;
  projects: Project[];
  temporalUi: TemporalUi | null;
  /** The project the pages work in (the `project` parameter, else the first one). */
  project: Project | null;
}

export function App() {
  const [token, setToken] = useState<TokenInfo | null>(null);
  const [checking, setChecking] = useState(session.token() !== null);
  const [expired, setExpired] = useState(false);

  const signOut = (why: 'user' | 'expired') => {
    session.clear();
    setToken(null);
    setExpired(why === 'expired');
  };

  useEffect(() => {
    const off = onUnauthorized(() => signOut('expired'));
    if (session.token()) {
      api<{ token: TokenInfo }>('GET', '/api/v1/auth/token')
        .then((r) => setToken(r.token))
        .catch(() => signOut('expired'))
        .finally(() => setChecking(false));
    }
    return () => {
      off();
    };
  }, []);

  if (checking) return <Loading what="your session" />;
  if (!token) {
    return (
      <SignIn
        expired={expired}
        onSignedIn={(t) => {
          setExpired(false);
          setToken(t);
        }}
      />
    );
  }
  return <SignedIn token={token} onSignOut={() => signOut('user')} />;
}

function SignedIn({ token, onSignOut }: { token: TokenInfo; onSignOut: () => void }) {
  const route = useRoute();
  const [projects, setProjects] = useState<Project[] | null>(null);
  const [temporalUi, setTemporalUi] = useState<TemporalUi | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    api<{ projects: Project[] }>('GET', '/api/v1/projects')
      .then((r) => setProjects(r.projects))
      .catch((e: unknown) => {
        setError(e);
        setProjects([]);
      });
    api<{ temporalUi: TemporalUi | null }>('GET', '/api/v1/console/settings')
      .then((r) => setTemporalUi(r.temporalUi))
      .catch(() => setTemporalUi(null));
  }, []);

  const projectId = route.params.get('project');
  const project = projects ? (projects.find((p) => p.id === projectId) ?? projects[0] ?? null) : null;
  const ctx: AppContext | null = projects ? { token, projects, temporalUi, project } : null;
  const p = project?.id;
  const rotationMatch = /^\/rotations\/([0-9a-fA-F-]{36})$/.exec(route.path);

  let page;
  if (!ctx) page = <Loading what="projects" />;
  else if (rotationMatch) page = <RotationPage ctx={ctx} rotationId={rotationMatch[1]!} />;
  else if (route.path === '/new') page = <Wizard ctx={ctx} params={route.params} />;
  else if (route.path === '/connections') page = <ConnectionsPage ctx={ctx} />;
  else page = <Dashboard ctx={ctx} params={route.params} />;

  return (
    <>
      <a class="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href={href('/', { project: p })}>
          pg-rotator
        </a>
        <nav aria-label="Main">
          <a href={href('/', { project: p })} aria-current={route.path === '/' ? 'page' : undefined}>
            Rotations
          </a>
          <a href={href('/connections', { project: p })} aria-current={route.path === '/connections' ? 'page' : undefined}>
            Connections
          </a>
        </nav>
        <div class="who">
          <span>
            Signed in with token <strong>{token.name}</strong> · {token.projectId ? 'one project' : 'all projects'}
            <br />
            may {token.actions.join(', ')}
          </span>
          <button type="button" class="btn plain" onClick={onSignOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {error instanceof ApiError && <ErrorNotice error={error} context="Loading projects" />}
        {page}
      </main>
    </>
  );
}
