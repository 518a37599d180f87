/** The API client and the session, for every page (provided by ApiProvider). */
import { createContext, useContext, useSyncExternalStore } from "react";
import type { Client } from "./client";
import { session, type Tokens } from "./session";

export const ClientContext = createContext<Client | null>(null);

export function useClient(): Client {
  const client = useContext(ClientContext);
  if (!client) throw new Error("useClient outside ApiProvider");
  return client;
}

let cached: { raw: string | null; tokens: Tokens | null } = { raw: null, tokens: null };

function snapshot(): Tokens | null {
  const raw = sessionStorage.getItem("sendfx-admin-session");
  if (raw !== cached.raw) cached = { raw, tokens: session.get() };
  return cached.tokens;
}

/** The current tokens; re-renders on sign-in and sign-out. */
export function useSession(): Tokens | null {
  return useSyncExternalStore((listener) => session.subscribe(listener), snapshot);
}
