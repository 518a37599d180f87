/** The CSV export: the usage-ingestor's /usage/calls asked for `text/csv`
 * through the console's client (so the bearer token and its refresh apply;
 * a plain link could not carry the token) and saved as a file. */
import { unwrap, type Client } from "./client";

export async function downloadCsv(
  client: Client,
  workspaceId: string,
  range: { from: string; to: string; tz: string },
): Promise<void> {
  const blob = unwrap(
    await client.GET("/api/admin/workspaces/{workspace_id}/usage/calls", {
      params: { path: { workspace_id: workspaceId }, query: range },
      headers: { Accept: "text/csv" },
      parseAs: "blob",
    }),
  );
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = `usage-${workspaceId}-${range.from}-${range.to}.csv`;
  document.body.append(link);
  link.click();
  link.remove();
  URL.revokeObjectURL(url);
}
