import { useCallback, useEffect, useState } from 'react';
import { completeSignIn, currentSession, signIn, signOut, type Session } from './auth';
import { areasFor, type Area } from './areas';
import { loadConfig, type ConsoleConfig } from './config';
import { ApiProvider } from './api';
import { AdminScreen } from './screens/Admin';
import { AuditScreen } from './screens/Audit';
import { InboxScreen } from './screens/Inbox';
import { RequesterScreen } from './screens/Requester';
import { TicketsScreen } from './screens/Tickets';

// Start-up runs once per page load, however often React mounts the app: a sign-in code is single use.
let booting: Promise<{ config: ConsoleConfig }> | undefined;
function boot(): Promise<{ config: ConsoleConfig }> {
  booting ??= (async () => {
    const config = await loadConfig();
    const returnTo = await completeSignIn(config);
    if (returnTo) window.location.hash = returnTo;
    return { config };
  })();
  return booting;
}

type Loaded = { state: 'loading' } | { state: 'failed'; message: string } | { state: 'ready'; config: ConsoleConfig; session?: Session };

function useHashRoute(): [string, (route: string) => void] {
  const read = () => window.location.hash.replace(/^#\/?/, '');
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const onChange = () => setRoute(read());
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return [route, (next) => (window.location.hash = `/${next}`)];
}

export function App() {
  const [loaded, setLoaded] = useState<Loaded>({ state: 'loading' });
  const [route, go] = useHashRoute();

  useEffect(() => {
    let cancelled = false;
    boot()
      .then(({ config }) => !cancelled && setLoaded({ state: 'ready', config, session: currentSession() }))
      .catch((error: Error) => !cancelled && setLoaded({ state: 'failed', message: error.message }));
    return () => {
      cancelled = true;
    };
  }, []);

  const onSignOut = useCallback(() => {
    signOut();
    if (loaded.state === 'ready') setLoaded({ ...loaded, session: undefined });
    go('');
  }, [loaded, go]);

  if (loaded.state === 'loading') return <Frame><p role="status">Loading…</p></Frame>;
  if (loaded.state === 'failed') {
    return (
      <Frame>
        <h1>Kairos</h1>
        <p role="alert">{loaded.message}</p>
        <button type="button" onClick={() => window.location.assign('/')}>Start again</button>
      </Frame>
    );
  }
  const { config, session } = loaded;
  if (!session) return <SignIn onSignIn={() => void signIn(config, window.location.hash)} />;
  const areas = areasFor(session.roles);
  const current = areas.find((a) => a.id === route.split('/')[0]);
  return (
    <Frame session={session} areas={areas} current={current?.id} onSignOut={onSignOut}>
      <ApiProvider config={config} session={session}>
        {current ? <AreaPage area={current} sub={route.split('/')[1] ?? ''} /> : <Home session={session} areas={areas} />}
      </ApiProvider>
    </Frame>
  );
}

function Frame(props: { children: React.ReactNode; session?: Session; areas?: Area[]; current?: string; onSignOut?: () => void }) {
  return (
    <>
      <a className="skip" href="#main">Skip to content</a>
      <header className="top">
        <a className="brand" href="#/">Kairos</a>
        {props.areas && (
          <nav aria-label="Main">
            <ul>
              {props.areas.map((area) => (
                <li key={area.id}>
                  <a href={`#/${area.id}`} aria-current={props.current === area.id ? 'page' : undefined}>{area.title}</a>
                </li>
              ))}
            </ul>
          </nav>
        )}
        {props.session && (
          <div className="who">
            <span>
              Signed in as <strong data-testid="signed-in-as">{props.session.name}</strong> ({props.session.roles.join(', ') || 'no roles'})
            </span>
            <button type="button" onClick={props.onSignOut}>Sign out</button>
          </div>
        )}
      </header>
      <main id="main" tabIndex={-1}>{props.children}</main>
    </>
  );
}

function SignIn(props: { onSignIn: () => void }) {
  return (
    <Frame>
      <h1>Just-in-time access</h1>
      <p>Ask for access when you need it, for as long as you need it; approvers, fulfillers and auditors work here too.</p>
      <button type="button" className="primary" onClick={props.onSignIn}>Sign in</button>
    </Frame>
  );
}

function Home(props: { session: Session; areas: Area[] }) {
  return (
    <>
      <h1>Welcome, {props.session.name}</h1>
      {props.areas.length === 0 ? (
        <p>Your sign-in carries no Kairos role; ask an administrator for one.</p>
      ) : (
        <ul className="cards">
          {props.areas.map((area) => (
            <li key={area.id}>
              <h2><a href={`#/${area.id}`}>{area.title}</a></h2>
              <p>{area.summary}</p>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

function AreaPage(props: { area: Area; sub: string }) {
  useEffect(() => {
    document.getElementById('main')?.focus();
  }, [props.area.id, props.sub]);
  return (
    <>
      <h1>{props.area.title}</h1>
      <p>{props.area.summary}</p>
      {props.area.id === 'requests' && <RequesterScreen />}
      {props.area.id === 'inbox' && <InboxScreen />}
      {props.area.id === 'tickets' && <TicketsScreen />}
      {props.area.id === 'admin' && <AdminScreen section={props.sub} />}
      {props.area.id === 'audit' && <AuditScreen />}
    </>
  );
}
