import { useCallback, useEffect, useState } from "react";

interface Loaded<T> {
  key: string;
  data: T | null;
  error: unknown;
}

/** Runs `load` whenever `key` changes (aborting the previous run); `loading` is true
 * until the answer for the current key is in. `update` edits the loaded data in place. */
export function useLoad<T>(key: string, load: (signal: AbortSignal) => Promise<T>) {
  const [state, setState] = useState<Loaded<T> | null>(null);
  useEffect(() => {
    const abort = new AbortController();
    load(abort.signal).then(
      (data) => {
        if (!abort.signal.aborted) setState({ key, data, error: null });
      },
      (error: unknown) => {
        if (!abort.signal.aborted) setState({ key, data: null, error });
      },
    );
    return () => abort.abort();
    // `load` is read when `key` changes; the key names everything it depends on.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);
  const update = useCallback(
    (change: (data: T) => T) =>
      setState((s) => (s && s.data !== null ? { ...s, data: change(s.data) } : s)),
    [],
  );
  const current = state?.key === key ? state : null;
  return {
    loading: current === null,
    data: current?.data ?? null,
    error: current?.error ?? null,
    update,
  };
}
