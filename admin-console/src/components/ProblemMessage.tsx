import type { Problem } from "../api/client";

/** A backend problem's `detail`, announced to screen readers. */
export function ProblemMessage({ problem }: { problem: Problem | undefined }) {
  if (!problem) return null;
  return (
    <p role="alert" className="problem">
      {problem.detail}
    </p>
  );
}
