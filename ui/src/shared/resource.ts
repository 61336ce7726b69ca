// Loading what a component shows: one hook for the pattern every screen and page had
// written out by hand (a value that is not there yet, the failure if loading failed, a way
// to load again). The dependencies name the resource: when they change, the value goes
// and the new one is loaded; `reload` loads the same resource again and keeps the value on
// screen meanwhile. Only the newest load lands, so a slow answer for an old resource
// never overwrites a newer one, and nothing lands after the component is gone.
import { useCallback, useEffect, useRef, useState } from "preact/hooks";

import { Failure } from "./error";

export interface Resource<T> {
  /** The value last loaded; undefined until a load has succeeded. */
  value: T | undefined;
  /** Why the last load failed; null once one succeeds. */
  error: Failure | null;
  loading: boolean;
  /** Loads again, keeping the value shown meanwhile. */
  reload: () => Promise<void>;
  /** Takes a newer value a change answered with, instead of loading it. */
  set: (value: T) => void;
}

interface State<T> {
  value: T | undefined;
  error: Failure | null;
  loading: boolean;
}

export function useResource<T>(load: () => Promise<T>, deps: readonly unknown[] = []): Resource<T> {
  const [state, setState] = useState<State<T>>({ value: undefined, error: null, loading: true });
  const latest = useRef(load);
  latest.current = load;
  // Each load's number: only the newest may land.
  const generation = useRef(0);
  const gone = useRef(false);

  const reload = useCallback(async () => {
    if (gone.current) return;
    const n = ++generation.current;
    setState((s) => (s.loading ? s : { ...s, loading: true }));
    try {
      const value = await latest.current();
      if (!gone.current && n === generation.current) setState({ value, error: null, loading: false });
    } catch (e) {
      if (!gone.current && n === generation.current) setState((s) => ({ ...s, error: Failure.from(e), loading: false }));
    }
  }, []);
  const set = useCallback((value: T) => {
    generation.current++;
    setState({ value, error: null, loading: false });
  }, []);

  const first = useRef(true);
  useEffect(() => {
    if (first.current) first.current = false;
    else setState({ value: undefined, error: null, loading: true });
    void reload();
  }, deps);
  useEffect(
    () => () => {
      gone.current = true;
    },
    [],
  );
  return { ...state, reload, set };
}
