import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, expect, it } from "vitest";
import { session } from "../api/session";
import { fakeApi, on, renderWith } from "../test-support";
import { SignInPage } from "./SignInPage";

beforeEach(() => {
  sessionStorage.clear();
});

it("shows the backend's detail on a refused sign-in and keeps the tokens of a good one", async () => {
  const api = fakeApi(
    on("POST", "/api/auth/login", async (request) => {
      const body = (await request.json()) as { password: string };
      return body.password === "right"
        ? {
            body: { access_token: "t", token_type: "bearer", expires_in: 900, refresh_token: "r" },
          }
        : { status: 401, body: { status: 401, detail: "wrong email or password" } };
    }),
  );
  renderWith(api, <SignInPage />, "/sign-in");
  await userEvent.type(screen.getByLabelText("Email"), "admin@sendfx.ai");
  await userEvent.type(screen.getByLabelText("Password"), "wrong");
  await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
  expect(await screen.findByRole("alert")).toHaveTextContent("wrong email or password");
  expect(session.get()).toBeNull();

  await userEvent.clear(screen.getByLabelText("Password"));
  await userEvent.type(screen.getByLabelText("Password"), "right");
  await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
  await expect.poll(() => session.get()?.refresh_token).toBe("r");
  expect(session.get()?.expires_at).toBeGreaterThan(Date.now());
});
