/** The CSV export: CONTRACT's /usage/calls with Accept text/csv, fetched with
 * the bearer token (a plain link could not carry it) and saved as a file. */
import { asProblem, ApiError } from "./client";
import { session } from "./session";

export async function downloadCsv(
  workspaceId: string,
  range: { from: string; to: string; tz: string },
  baseUrl = "",
): Promise<void> {
  const query = new URLSearchParams(range).toString();
  const response = await fetch(
    `${baseUrl}/api/admin/workspaces/${encodeURIComponent(workspaceId)}/usage/calls?${query}`,
    {
      headers: {
        Accept: "text/csv",
        Authorization: `Bearer ${session.get()?.access_token ?? ""}`,
      },
    },
  );
  if (!response.ok) {
    const body: unknown = await response.json().catch(() => null);
    throw new ApiError(asProblem(body, response.status));
  }
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = `usage-${workspaceId}-${range.from}-${range.to}.csv`;
  document.body.append(link);
  link.click();
  link.remove();
  URL.revokeObjectURL(url);
}
