import { beforeEach, describe, expect, it } from "vitest";
import { fakeApi, on } from "../test-support";
import { asProblem, makeClient, unwrap } from "./client";
import { session } from "./session";

const BASE = "http://console.test";

beforeEach(() => {
  sessionStorage.clear();
});

describe("the API client", () => {
  it("sends the bearer token of the session", async () => {
    session.set({ access_token: "a1", token_type: "bearer", expires_in: 60, refresh_token: "r" });
    const api = fakeApi(
      on("GET", "/api/admin/workspaces", { body: { items: [], next_cursor: null } }),
    );
    const client = makeClient(BASE, api.fetch);
    const page = unwrap(
      await client.GET("/api/admin/workspaces", { params: { query: { q: "acme" } } }),
    );
    expect(page.items).toEqual([]);
    expect(api.requests[0]?.headers.get("Authorization")).toBe("Bearer a1");
    expect(new URL(api.requests[0]?.url ?? "").searchParams.get("q")).toBe("acme");
  });

  it("refreshes once on a 401 and retries with the new token", async () => {
    session.set({ access_token: "old", token_type: "bearer", expires_in: 1, refresh_token: "r1" });
    const api = fakeApi(
      on("POST", "/api/auth/refresh", (request) => {
        expect(request.headers.get("Content-Type")).toBe("application/json");
        return {
          body: { access_token: "new", token_type: "bearer", expires_in: 900, refresh_token: "r2" },
        };
      }),
      on("GET", "/api/admin/ui-settings", (request) =>
        request.headers.get("Authorization") === "Bearer new"
          ? { body: { key: "global", theme_name: "t", mode: "light" } }
          : { status: 401, body: { status: 401, detail: "token expired" } },
      ),
    );
    const client = makeClient(BASE, api.fetch);
    const settings = unwrap(await client.GET("/api/admin/ui-settings"));
    expect(settings.theme_name).toBe("t");
    expect(session.get()?.refresh_token).toBe("r2");
    expect(api.requests.filter((r) => r.url.endsWith("/api/auth/refresh"))).toHaveLength(1);
  });

  it("signs out on a 401 when core-api refuses the refresh token", async () => {
    session.set({ access_token: "old", token_type: "bearer", expires_in: 1, refresh_token: "r1" });
    const api = fakeApi(
      on("POST", "/api/auth/refresh", {
        status: 401,
        body: { status: 401, detail: "the refresh token is not valid" },
      }),
      on("GET", "/api/admin/ui-settings", {
        status: 401,
        body: { status: 401, detail: "expired" },
      }),
    );
    const client = makeClient(BASE, api.fetch);
    const result = await client.GET("/api/admin/ui-settings");
    expect(() => unwrap(result)).toThrow("expired");
    expect(session.get()).toBeNull();
  });

  it("turns any error body into a problem with a detail", () => {
    expect(
      asProblem({ status: 422, detail: "bad", errors: [{ field: "name", message: "m" }] }, 422),
    ).toMatchObject({
      detail: "bad",
      errors: [{ field: "name", message: "m" }],
    });
    expect(
      asProblem({ detail: [{ loc: ["body", "name"], msg: "too short" }] }, 422).errors,
    ).toEqual([{ field: "name", message: "too short" }]);
    expect(asProblem("<html>bad gateway</html>", 502).detail).toBe("the server answered 502");
  });
});

it("refreshes before a request when the access token is about to expire", async () => {
  session.set({
    access_token: "old",
    token_type: "bearer",
    expires_in: 1,
    expires_at: Date.now() - 1000,
    refresh_token: "r1",
  });
  const api = fakeApi(
    on("POST", "/api/auth/refresh", {
      body: { access_token: "new", token_type: "bearer", expires_in: 900, refresh_token: "r2" },
    }),
    on("GET", "/api/admin/ui-settings", { body: { key: "global", theme_name: "t", mode: "dark" } }),
  );
  const client = makeClient(BASE, api.fetch);
  unwrap(await client.GET("/api/admin/ui-settings"));
  const asked = api.requests.find((r) => r.url.endsWith("/api/admin/ui-settings"));
  expect(asked?.headers.get("Authorization")).toBe("Bearer new");
});
