/* eslint-disable react-hooks/use-memo, react-hooks/exhaustive-deps, react-hooks/set-state-in-effect --
   a generic loader: its callers list the dependencies, as with useEffect. */
/** Loads data for a page: re-runs when its dependencies change, keeps the
 * last error as a Problem, and ignores answers that arrive after a newer load. */
import { useCallback, useEffect, useRef, useState, type DependencyList } from "react";
import { ApiError, type Problem } from "./client";

export interface Loaded<T> {
  data: T | undefined;
  error: Problem | undefined;
  loading: boolean;
  reload: () => void;
}

export function problemOf(error: unknown): Problem {
  if (error instanceof ApiError) return error.problem;
  return { status: 0, detail: error instanceof Error ? error.message : String(error) };
}

export function useLoad<T>(load: () => Promise<T>, deps: DependencyList): Loaded<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<Problem>();
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const latest = useRef(0);
  const run = useCallback(load, deps);
  useEffect(() => {
    const id = ++latest.current;
    setLoading(true);
    run().then(
      (value) => {
        if (id !== latest.current) return;
        setData(value);
        setError(undefined);
        setLoading(false);
      },
      (reason: unknown) => {
        if (id !== latest.current) return;
        setError(problemOf(reason));
        setLoading(false);
      },
    );
  }, [run, tick]);
  const reload = useCallback(() => {
    setTick((t) => t + 1);
  }, []);
  return { data, error, loading, reload };
}
