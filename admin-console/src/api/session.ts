/**
 * The signed-in admin's tokens, kept in sessionStorage (gone with the tab)
 * with the moment the access token expires; listeners hear sign-in and out.
 */
import type { components } from "./generated/core-api";

/** core-api's login and refresh answer (`TokenOut`), kept with its expiry. */
export type Tokens = components["schemas"]["TokenOut"] & {
  /** epoch ms when the access token stops being accepted */
  expires_at?: number;
};

const KEY = "sendfx-admin-session";
const listeners = new Set<() => void>();

function read(): Tokens | null {
  try {
    const raw = sessionStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as Tokens) : null;
  } catch {
    return null;
  }
}

export const session = {
  get: read,
  fromResponse(tokens: Tokens): Tokens {
    return { ...tokens, expires_at: Date.now() + tokens.expires_in * 1000 };
  },
  set(tokens: Tokens): void {
    sessionStorage.setItem(KEY, JSON.stringify(tokens));
    listeners.forEach((listener) => {
      listener();
    });
  },
  clear(): void {
    if (sessionStorage.getItem(KEY) === null) return;
    sessionStorage.removeItem(KEY);
    listeners.forEach((listener) => {
      listener();
    });
  },
  subscribe(listener: () => void): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};
