import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, expect, it, vi } from "vitest";
import type { UsageNumbers, UsageSummary } from "../api/client";
import { session } from "../api/session";
import { fakeApi, on, renderWith } from "../test-support";
import { UsagePanel } from "./UsagePanel";

// jsdom has no canvas: uPlot's drawing is not what this test is about.
vi.mock("uplot", () => ({
  default: class {
    static tzDate = (d: Date) => d;
    destroy() {
      return undefined;
    }
  },
}));

const numbers: UsageNumbers = {
  calls: 3,
  prompt_tokens: 1200,
  cached_tokens: 1024,
  cache_write_tokens: 0,
  audio_prompt_tokens: 0,
  completion_tokens: 300,
  reasoning_tokens: 64,
  audio_completion_tokens: 0,
  total_tokens: 1500,
  cost_usd: 0.0123,
  unpriced_calls: 1,
  usage_missing_calls: 1,
};

beforeEach(() => {
  sessionStorage.clear();
  session.set({ access_token: "a", token_type: "bearer", expires_in: 60, refresh_token: "r" });
});

it("shows the totals, the breakdowns and re-asks with the chosen range and zone", async () => {
  const api = fakeApi(
    on("GET", "/api/admin/workspaces/w1/usage", (request) => {
      const q = new URL(request.url).searchParams;
      const body: UsageSummary = {
        workspace_id: "w1",
        from: q.get("from") ?? "",
        to: q.get("to") ?? "",
        tz: q.get("tz") ?? "UTC",
        totals: numbers,
        by_model: [{ ...numbers, model: "gpt-4o-mini" }],
        by_service: [{ ...numbers, service: "ai_reply" }],
        by_service_tier: [{ ...numbers, service_tier: "flex" }],
        by_day: [{ ...numbers, day: "2026-11-25" }],
      };
      return { body };
    }),
  );
  renderWith(api, <UsagePanel workspaceId="w1" />);
  const totals = await screen.findByLabelText("Usage totals");
  expect(within(totals).getByText("1,500")).toBeInTheDocument();
  expect(within(totals).getByText("$0.0123")).toBeInTheDocument();
  expect(within(totals).getByText("64")).toBeInTheDocument();
  expect(screen.getByRole("table", { name: "By model" })).toHaveTextContent("gpt-4o-mini");
  expect(screen.getByRole("table", { name: "By service tier" })).toHaveTextContent("flex");
  const byModel = within(screen.getByRole("table", { name: "By model" }));
  expect(byModel.getByRole("columnheader", { name: "Unpriced calls" })).toBeInTheDocument();
  expect(byModel.getByRole("columnheader", { name: "Usage missing" })).toBeInTheDocument();

  await userEvent.clear(screen.getByLabelText("From"));
  await userEvent.type(screen.getByLabelText("From"), "2026-01-01");
  await userEvent.clear(screen.getByLabelText("Time zone"));
  await userEvent.type(screen.getByLabelText("Time zone"), "Europe/Paris");
  await userEvent.click(screen.getByRole("button", { name: "Show usage" }));
  await vi.waitFor(() => {
    const last = new URL(api.requests[api.requests.length - 1]?.url ?? "");
    expect(last.searchParams.get("from")).toBe("2026-01-01");
    expect(last.searchParams.get("tz")).toBe("Europe/Paris");
  });
});
