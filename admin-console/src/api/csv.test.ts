import { afterEach, beforeEach, expect, it, vi } from "vitest";
import { downloadCsv } from "./csv";
import { session } from "./session";

beforeEach(() => {
  sessionStorage.clear();
  session.set({ access_token: "tok", token_type: "bearer", expires_in: 60 });
});

afterEach(() => {
  vi.unstubAllGlobals();
});

it("asks /usage/calls for CSV with the bearer token and saves the answer as a file", async () => {
  const seen: Request[] = [];
  vi.stubGlobal("fetch", (input: RequestInfo | URL, init?: RequestInit) => {
    seen.push(new Request(input, init));
    return Promise.resolve(new Response("occurred_at,model\n", { status: 200 }));
  });
  const created = vi.fn(() => "blob:csv");
  vi.stubGlobal("URL", Object.assign(URL, { createObjectURL: created, revokeObjectURL: vi.fn() }));
  const clicked: string[] = [];
  vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(function (
    this: HTMLAnchorElement,
  ) {
    clicked.push(this.download);
  });

  await downloadCsv("w1", { from: "2026-01-01", to: "2026-01-31", tz: "Europe/Paris" }, "http://x");
  const request = seen[0];
  expect(request?.headers.get("Accept")).toBe("text/csv");
  expect(request?.headers.get("Authorization")).toBe("Bearer tok");
  const url = new URL(request?.url ?? "");
  expect(url.pathname).toBe("/api/admin/workspaces/w1/usage/calls");
  expect(url.searchParams.get("tz")).toBe("Europe/Paris");
  expect(created).toHaveBeenCalledOnce();
  expect(clicked).toEqual(["usage-w1-2026-01-01-2026-01-31.csv"]);
});

it("turns a refused export into the backend's problem", async () => {
  vi.stubGlobal("fetch", () =>
    Promise.resolve(
      new Response(JSON.stringify({ status: 404, detail: "workspace not found" }), { status: 404 }),
    ),
  );
  await expect(downloadCsv("w1", { from: "a", to: "b", tz: "UTC" })).rejects.toThrow(
    "workspace not found",
  );
});
