/** Test helpers: a fetch that answers from a route table, and a render with
 * the console's providers. Only the tests import this file. */
import { render } from "@testing-library/react";
import type { ReactNode } from "react";
import { MemoryRouter } from "react-router";
import { makeClient } from "./api/client";
import { ApiProvider } from "./api/context";

export type Answer = { status?: number; body?: unknown; headers?: Record<string, string> };
export type Route = (request: Request) => Answer | Promise<Answer> | undefined;

export interface FakeApi {
  fetch: typeof fetch;
  requests: Request[];
}

export function fakeApi(...routes: Route[]): FakeApi {
  const requests: Request[] = [];
  const impl = async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = input instanceof Request ? input : new Request(input, init);
    requests.push(request.clone());
    for (const route of routes) {
      const answer = await route(request);
      if (answer) {
        const status = answer.status ?? 200;
        const type = status >= 400 ? "application/problem+json" : "application/json";
        return new Response(answer.body === undefined ? null : JSON.stringify(answer.body), {
          status,
          headers: { "Content-Type": type, ...answer.headers },
        });
      }
    }
    return new Response(JSON.stringify({ status: 404, detail: "no such route" }), {
      status: 404,
      headers: { "Content-Type": "application/problem+json" },
    });
  };
  return { fetch: impl, requests };
}

/** `on("GET", "/api/x", answer)`: a route matching a method and a path. */
export function on(
  method: string,
  path: string | RegExp,
  answer: Answer | ((r: Request) => Answer | Promise<Answer>),
): Route {
  return (request) => {
    const url = new URL(request.url);
    const matches = typeof path === "string" ? url.pathname === path : path.test(url.pathname);
    if (request.method !== method || !matches) return undefined;
    return typeof answer === "function" ? answer(request) : answer;
  };
}

export function renderWith(api: FakeApi, ui: ReactNode, path = "/") {
  const client = makeClient("http://console.test", api.fetch);
  return render(
    <ApiProvider client={client}>
      <MemoryRouter initialEntries={[path]}>{ui}</MemoryRouter>
    </ApiProvider>,
  );
}
