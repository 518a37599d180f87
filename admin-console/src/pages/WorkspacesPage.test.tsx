import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, expect, it } from "vitest";
import { session } from "../api/session";
import { fakeApi, on, renderWith } from "../test-support";
import { WorkspacesPage } from "./WorkspacesPage";

const workspace = (n: number) => ({
  id: `w${n}`,
  name: `Acme ${n}`,
  slug: `acme-${n}`,
  owner_id: null,
  tier_code: "free",
  limits: {},
  role: null,
  version: 1,
  created_at: "2026-11-01T00:00:00Z",
  updated_at: "2026-11-01T00:00:00Z",
});

beforeEach(() => {
  sessionStorage.clear();
  session.set({ access_token: "a", token_type: "bearer", expires_in: 60, refresh_token: "r" });
});

it("searches by name and walks the cursor pages forward and back", async () => {
  const api = fakeApi(
    on("GET", "/api/admin/workspaces", (request) => {
      const cursor = new URL(request.url).searchParams.get("cursor");
      return cursor === "c2"
        ? { body: { items: [workspace(2)], next_cursor: null } }
        : { body: { items: [workspace(1)], next_cursor: "c2" } };
    }),
  );
  renderWith(api, <WorkspacesPage />, "/workspaces");
  const table = await screen.findByRole("table", { name: "Workspaces" });
  expect(await within(table).findByRole("link", { name: "Acme 1" })).toHaveAttribute(
    "href",
    "/workspaces/w1",
  );
  expect(screen.getByRole("button", { name: "Previous page" })).toBeDisabled();

  await userEvent.click(screen.getByRole("button", { name: "Next page" }));
  expect(await screen.findByRole("link", { name: "Acme 2" })).toBeInTheDocument();
  expect(screen.getByRole("button", { name: "Next page" })).toBeDisabled();
  await userEvent.click(screen.getByRole("button", { name: "Previous page" }));
  expect(await screen.findByRole("link", { name: "Acme 1" })).toBeInTheDocument();

  await userEvent.type(screen.getByLabelText("Search workspaces"), "acme");
  await userEvent.click(screen.getByRole("button", { name: "Search" }));
  await screen.findByRole("link", { name: "Acme 1" });
  const last = new URL(api.requests[api.requests.length - 1]?.url ?? "");
  expect(last.searchParams.get("q")).toBe("acme");
  expect(last.searchParams.get("cursor")).toBeNull();
});
