import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, expect, it } from "vitest";
import { session } from "../api/session";
import { fakeApi, on, renderWith } from "../test-support";
import { TemplatesPage } from "./TemplatesPage";

const template = {
  id: "t1",
  name: "Welcome",
  description: "",
  nodes: [{ id: "start", type: "start" }],
  edges: [],
  version: 1,
  createdAt: "2026-11-01T00:00:00Z",
  updatedAt: "2026-11-01T00:00:00Z",
};
const draft = {
  id: "d1",
  name: "Welcome",
  description: "first",
  templateId: null,
  createdAt: "2026-11-01T00:00:00Z",
  updatedAt: "2026-11-01T00:00:00Z",
};

beforeEach(() => {
  sessionStorage.clear();
  session.set({ access_token: "a", token_type: "bearer", expires_in: 60, refresh_token: "r" });
});

it("unwraps both lists and shows the backend's detail and field errors by the fields", async () => {
  const api = fakeApi(
    on("GET", "/api/admin/flow-templates", { body: { items: [template], next_cursor: null } }),
    on("GET", "/api/admin/flow-drafts", { body: { items: [draft], next_cursor: null } }),
    on("POST", "/api/admin/flow-drafts", {
      status: 422,
      body: {
        type: "about:blank",
        title: "Unprocessable",
        status: 422,
        detail: "the draft is not valid",
        errors: [
          { field: "name", message: "String should have at least 1 character", type: "x" },
          { field: "nodes.0.type", message: "unknown node type", type: "y" },
        ],
      },
    }),
  );
  renderWith(api, <TemplatesPage />);
  const templates = await screen.findByRole("table", { name: "Templates" });
  expect(await within(templates).findByText("Welcome")).toBeInTheDocument();
  const drafts = screen.getByRole("table", { name: "Drafts" });
  expect(within(drafts).getByText("not published")).toBeInTheDocument();

  await userEvent.click(screen.getByRole("button", { name: "Create draft" }));
  expect(await screen.findByRole("alert")).toHaveTextContent("the draft is not valid");
  const name = screen.getByLabelText("Name");
  expect(name).toHaveAttribute("aria-invalid", "true");
  expect(name).toHaveAccessibleDescription("String should have at least 1 character");
  expect(screen.getByLabelText("Nodes (JSON)")).toHaveAccessibleDescription("unknown node type");
});

it("publishes a draft and shows it bound to the new template", async () => {
  let published = false;
  const api = fakeApi(
    on("GET", "/api/admin/flow-templates", () => ({
      body: { items: published ? [template] : [], next_cursor: null },
    })),
    on("GET", "/api/admin/flow-drafts", () => ({
      body: {
        items: [published ? { ...draft, templateId: "t1", publishedVersion: 1 } : draft],
        next_cursor: null,
      },
    })),
    on("POST", "/api/admin/flow-drafts/d1/publish", () => {
      published = true;
      return { body: { template, draft: { ...draft, templateId: "t1" }, createdTemplate: true } };
    }),
  );
  renderWith(api, <TemplatesPage />);
  await userEvent.click(await screen.findByRole("button", { name: "Publish Welcome" }));
  expect(await screen.findByRole("status")).toHaveTextContent('Published "Welcome"');
  const drafts = screen.getByRole("table", { name: "Drafts" });
  expect(await within(drafts).findByText("bound to Welcome (v1)")).toBeInTheDocument();
});
