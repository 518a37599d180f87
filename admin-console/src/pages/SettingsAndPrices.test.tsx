import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, expect, it } from "vitest";
import type { ModelPrice, RepriceOut } from "../api/client";
import { session } from "../api/session";
import { fakeApi, on, renderWith } from "../test-support";
import { ModelPricesPage } from "./ModelPricesPage";
import { UiSettingsPage } from "./UiSettingsPage";

beforeEach(() => {
  sessionStorage.clear();
  session.set({ access_token: "a", token_type: "bearer", expires_in: 60, refresh_token: "r" });
});

it("edits the global theme and saves it with PUT", async () => {
  let saved: Record<string, unknown> | undefined;
  const api = fakeApi(
    on("GET", "/api/admin/ui-settings", {
      body: { key: "global", theme_name: "sendfx", mode: "light", flags: { beta: true } },
    }),
    on("PUT", "/api/admin/ui-settings", async (request) => {
      saved = (await request.json()) as Record<string, unknown>;
      return { body: { key: "global", ...saved } };
    }),
  );
  renderWith(api, <UiSettingsPage />);
  const name = await screen.findByLabelText("Theme name");
  await userEvent.clear(name);
  await userEvent.type(name, "midnight");
  await userEvent.selectOptions(screen.getByLabelText("Mode"), "dark");
  await userEvent.click(screen.getByRole("button", { name: "Save theme" }));
  expect(await screen.findByRole("status")).toHaveTextContent("Saved.");
  expect(saved).toMatchObject({ theme_name: "midnight", mode: "dark", flags: { beta: true } });
});

it("lists prices, adds an entry in core-api's fields and reprices a range", async () => {
  let added: Record<string, unknown> | undefined;
  const entry: ModelPrice = {
    id: "p1",
    model: "gpt-4o-mini",
    effective_from: "2026-01-01",
    service_tier: "default",
    input: "0.15",
    cached_input: "0.075",
    output: "0.60",
    reasoning: null,
    source: "admin",
    created_at: "2026-01-01T00:00:00Z",
  };
  const repriced: RepriceOut = { calls: 10, changed: 4, cost_before: 1, cost_after: 1.25 };
  const api = fakeApi(
    on("GET", "/api/admin/model-prices", { body: { items: [entry], next_cursor: null } }),
    on("POST", "/api/admin/model-prices", async (request) => {
      added = (await request.json()) as Record<string, unknown>;
      return { status: 201, body: { ...entry, ...added, id: "p2" } };
    }),
    on("POST", "/api/admin/usage/reprice", { body: repriced }),
  );
  renderWith(api, <ModelPricesPage />);
  const table = await screen.findByRole("table", { name: "Prices in USD per 1M tokens" });
  const row = within(await within(table).findByRole("row", { name: /gpt-4o-mini/ }));
  expect(row.getByRole("cell", { name: "0.15" })).toBeInTheDocument();
  expect(row.getByRole("cell", { name: "admin" })).toBeInTheDocument();

  await userEvent.type(screen.getByLabelText("Model"), "gpt-5-mini");
  await userEvent.type(screen.getByLabelText("Effective from"), "2026-12-01");
  await userEvent.selectOptions(screen.getByLabelText("Service tier"), "flex");
  await userEvent.type(screen.getByLabelText("Input (USD per 1M)"), "0.125");
  await userEvent.type(screen.getByLabelText("Cached input (USD per 1M)"), "0.0125");
  await userEvent.type(screen.getByLabelText("Output (USD per 1M)"), "1.00");
  await userEvent.click(screen.getByRole("button", { name: "Add price" }));
  expect(await screen.findByText("Added gpt-5-mini from 2026-12-01.")).toBeInTheDocument();
  expect(added).toEqual({
    model: "gpt-5-mini",
    effective_from: "2026-12-01",
    service_tier: "flex",
    input: "0.125",
    cached_input: "0.0125",
    output: "1.00",
  });

  await userEvent.type(screen.getByLabelText("Reprice from"), "2026-11-01");
  await userEvent.type(screen.getByLabelText("Reprice to"), "2026-11-30");
  await userEvent.click(screen.getByRole("button", { name: "Reprice" }));
  expect(
    await screen.findByText("Repriced 10 calls, 4 changed: $1.0000 → $1.2500."),
  ).toBeInTheDocument();
});
