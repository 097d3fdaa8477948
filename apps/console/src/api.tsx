import { createContext, useCallback, useContext, useEffect, useRef, useState } from 'react';
import { createKairosClient, KairosApiError, type KairosClient } from '@kairos/api-client';
import type { ConsoleConfig } from './config';
import type { Session } from './auth';

/**
 * Every screen talks to the services through the typed client (libs/api-client), generated from
 * the committed OpenAPI documents: no API path is written by hand here. The client adds an
 * Idempotency-Key to every POST, so a double click or a retry is recognised by the service.
 */
export interface Api {
  readonly client: KairosClient;
  readonly session: Session;
}

const ApiContext = createContext<Api | undefined>(undefined);

export function ApiProvider(props: { config: ConsoleConfig; session: Session; children: React.ReactNode }) {
  const [api] = useState<Api>(() => ({
    session: props.session,
    client: createKairosClient({
      baseUrls: { requests: props.config.apis.requests, policy: props.config.apis.policy, provisioning: props.config.apis.provisioning, audit: props.config.apis.audit },
      token: props.session.accessToken,
    }),
  }));
  return <ApiContext.Provider value={api}>{props.children}</ApiContext.Provider>;
}

export function useApi(): Api {
  const api = useContext(ApiContext);
  if (!api) throw new Error('useApi outside ApiProvider');
  return api;
}

/** What a person reads when a call fails: the problem's title and detail, and each field or policy problem. */
export function errorText(error: unknown): string {
  if (error instanceof KairosApiError) {
    const parts = [error.detail ? `${error.title}: ${error.detail}` : error.title];
    for (const field of error.errors) parts.push(`${field.field}: ${field.messages.join(', ')}`);
    const problems = Array.isArray(error.body.problems) ? (error.body.problems as { message?: string }[]) : [];
    for (const problem of problems) if (problem.message) parts.push(problem.message);
    return parts.join(' — ');
  }
  return error instanceof Error ? error.message : String(error);
}

export const POLL_MS = 4000;

/**
 * Loads data and keeps it fresh by polling every few seconds (lists change as events happen
 * elsewhere); `reload` fetches at once after an action of ours.
 */
export function usePolled<T>(load: () => Promise<T>, deps: readonly unknown[], every = POLL_MS): { data?: T; error?: string; reload: () => void } {
  const [state, setState] = useState<{ data?: T; error?: string }>({});
  const loadRef = useRef(load);
  loadRef.current = load;
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  useEffect(() => {
    let cancelled = false;
    const run = () =>
      loadRef.current().then(
        (data) => !cancelled && setState({ data }),
        (error: unknown) => !cancelled && setState((s) => ({ data: s.data, error: errorText(error) })),
      );
    void run();
    const timer = every > 0 ? setInterval(run, every) : undefined;
    return () => {
      cancelled = true;
      if (timer) clearInterval(timer);
    };
  }, [...deps, tick, every]);
  return { ...state, reload };
}

/** Runs one action (a button press), reporting success or the service's problem in a live region. */
export function useAction(): { busy: boolean; message?: { kind: 'ok' | 'error'; text: string }; run: (what: () => Promise<string>) => Promise<boolean> } {
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ kind: 'ok' | 'error'; text: string }>();
  const run = useCallback(async (what: () => Promise<string>) => {
    setBusy(true);
    setMessage(undefined);
    try {
      setMessage({ kind: 'ok', text: await what() });
      return true;
    } catch (error) {
      setMessage({ kind: 'error', text: errorText(error) });
      return false;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, message, run };
}

export function Message(props: { message?: { kind: 'ok' | 'error'; text: string } }) {
  return (
    <div aria-live="polite" className="live">
      {props.message && (
        <p role={props.message.kind === 'error' ? 'alert' : 'status'} className={props.message.kind === 'error' ? 'error' : 'ok'}>
          {props.message.text}
        </p>
      )}
    </div>
  );
}

export function LoadError(props: { error?: string }) {
  return props.error ? <p role="alert" className="error">Could not load: {props.error}</p> : null;
}

/** ISO 8601 durations the services use (PT8H, P1D, PT30M) in words. */
export function durationText(iso: string | null | undefined): string {
  if (!iso) return '—';
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(iso);
  if (!m) return iso;
  const parts: string[] = [];
  const [, d, h, min, s] = m;
  if (d) parts.push(`${d} day${d === '1' ? '' : 's'}`);
  if (h) parts.push(`${h} hour${h === '1' ? '' : 's'}`);
  if (min) parts.push(`${min} min`);
  if (s) parts.push(`${s} s`);
  return parts.join(' ') || iso;
}

/** "in 7 h 59 min" / "2 min ago": an expiry countdown, recomputed on every render (the lists poll). */
export function relative(at: string | null | undefined, now = Date.now()): string {
  if (!at) return '—';
  const ms = Date.parse(at) - now;
  const abs = Math.abs(ms);
  const h = Math.floor(abs / 3_600_000);
  const m = Math.floor((abs % 3_600_000) / 60_000);
  const s = Math.floor((abs % 60_000) / 1000);
  const text = h > 0 ? `${h} h ${m} min` : m > 0 ? `${m} min ${s} s` : `${s} s`;
  return ms >= 0 ? `in ${text}` : `${text} ago`;
}

export function when(at: string | null | undefined): string {
  return at ? new Date(at).toLocaleString() : '—';
}

/** Saves text as a file the browser downloads (CSV or JSON), without any script from elsewhere. */
export function saveFile(name: string, content: string, type: string): void {
  const url = URL.createObjectURL(new Blob([content], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A heading that takes focus when its screen opens, so screen readers announce where they are. */
export function useFocusOnMount<T extends HTMLElement>(): React.RefObject<T | null> {
  const ref = useRef<T>(null);
  useEffect(() => {
    ref.current?.focus();
  }, []);
  return ref;
}
