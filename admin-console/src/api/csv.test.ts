import { afterEach, beforeEach, expect, it, vi } from "vitest";
import { makeClient } from "./client";
import { downloadCsv } from "./csv";
import { session } from "./session";

const CSV = "occurred_at,model\n2026-01-02T10:00:00Z,gpt-4o-mini\n";

beforeEach(() => {
  sessionStorage.clear();
  session.set({ access_token: "tok", token_type: "bearer", expires_in: 60, refresh_token: "r" });
});

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

function saved(): { files: string[]; blobs: Blob[] } {
  const blobs: Blob[] = [];
  const created = (blob: Blob | MediaSource) => {
    blobs.push(blob as Blob);
    return "blob:csv";
  };
  vi.stubGlobal("URL", Object.assign(URL, { createObjectURL: created, revokeObjectURL: vi.fn() }));
  const files: string[] = [];
  vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(function (
    this: HTMLAnchorElement,
  ) {
    files.push(this.download);
  });
  return { files, blobs };
}

it("asks /usage/calls for CSV with the bearer token and saves the answer as a file", async () => {
  const seen: Request[] = [];
  const client = makeClient("http://x", (input, init) => {
    seen.push(new Request(input, init));
    return Promise.resolve(new Response(CSV, { headers: { "Content-Type": "text/csv" } }));
  });
  const { files, blobs } = saved();

  await downloadCsv(client, "w1", { from: "2026-01-01", to: "2026-01-31", tz: "Europe/Paris" });
  const request = seen[0];
  expect(request?.headers.get("Accept")).toBe("text/csv");
  expect(request?.headers.get("Authorization")).toBe("Bearer tok");
  const url = new URL(request?.url ?? "");
  expect(url.pathname).toBe("/api/admin/workspaces/w1/usage/calls");
  expect(url.searchParams.get("tz")).toBe("Europe/Paris");
  expect(files).toEqual(["usage-w1-2026-01-01-2026-01-31.csv"]);
  expect(await blobs[0]?.text()).toBe(CSV);
});

it("refreshes an expired token and still saves the export", async () => {
  const client = makeClient("http://x", (input, init) => {
    const request = new Request(input, init);
    if (request.url.endsWith("/api/auth/refresh")) {
      const tokens = { access_token: "new", token_type: "bearer", expires_in: 900 };
      return Promise.resolve(Response.json({ ...tokens, refresh_token: "r2" }));
    }
    return Promise.resolve(
      request.headers.get("Authorization") === "Bearer new"
        ? new Response(CSV, { headers: { "Content-Type": "text/csv" } })
        : Response.json({ status: 401, detail: "token expired" }, { status: 401 }),
    );
  });
  const { files } = saved();
  await downloadCsv(client, "w1", { from: "2026-01-01", to: "2026-01-31", tz: "UTC" });
  expect(files).toEqual(["usage-w1-2026-01-01-2026-01-31.csv"]);
  expect(session.get()?.refresh_token).toBe("r2");
});

it("turns a refused export into the backend's problem", async () => {
  const client = makeClient("http://x", () =>
    Promise.resolve(Response.json({ status: 404, detail: "workspace not found" }, { status: 404 })),
  );
  await expect(downloadCsv(client, "w1", { from: "a", to: "b", tz: "UTC" })).rejects.toThrow(
    "workspace not found",
  );
});
