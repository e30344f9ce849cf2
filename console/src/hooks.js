import { useEffect, useState, useCallback } from "preact/hooks";

// Re-render when a signal changes.
export function useSignal(sig) {
  const [value, setValue] = useState(sig.get());
  useEffect(() => sig.subscribe(setValue), [sig]);
  return value;
}

// Load data for a page: [data, error, loading, reload].
export function useLoad(loader, deps) {
  const [state, setState] = useState({ data: null, error: null, loading: true });
  const reload = useCallback(() => {
    setState((s) => ({ ...s, loading: true }));
    loader()
      .then((data) => setState({ data, error: null, loading: false }))
      .catch((error) => setState({ data: null, error, loading: false }));
  }, deps);
  useEffect(reload, [reload]);
  return [state.data, state.error, state.loading, reload];
}
