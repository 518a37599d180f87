/** Hands the API client to every page (tests pass one of their own). */
import type { ReactNode } from "react";
import { makeClient, type Client } from "./client";
import { ClientContext } from "./hooks";

const defaultClient = makeClient();

export function ApiProvider({ client, children }: { client?: Client; children: ReactNode }) {
  return (
    <ClientContext.Provider value={client ?? defaultClient}>{children}</ClientContext.Provider>
  );
}
