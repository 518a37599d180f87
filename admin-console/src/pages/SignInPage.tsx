import { formText } from "../api/form";
import { useState, type SubmitEvent } from "react";
import { useLocation, useNavigate } from "react-router";
import { unwrap, type Problem } from "../api/client";
import { useClient } from "../api/hooks";
import { session } from "../api/session";
import { problemOf } from "../api/useLoad";
import { ProblemMessage } from "../components/ProblemMessage";

export function SignInPage() {
  const client = useClient();
  const navigate = useNavigate();
  const location = useLocation();
  const [problem, setProblem] = useState<Problem>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    try {
      const tokens = unwrap(
        await client.POST("/api/auth/login", {
          body: { email: formText(form, "email"), password: formText(form, "password") },
        }),
      );
      session.set(session.fromResponse(tokens));
      const from = (location.state as { from?: string } | null)?.from;
      void navigate(from && from !== "/sign-in" ? from : "/workspaces", { replace: true });
    } catch (error) {
      setProblem(problemOf(error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="narrow">
      <h1>Sign in</h1>
      <form onSubmit={(e) => void submit(e)}>
        <label>
          Email
          <input name="email" type="email" autoComplete="username" required />
        </label>
        <label>
          Password
          <input name="password" type="password" autoComplete="current-password" required />
        </label>
        <ProblemMessage problem={problem} />
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}
