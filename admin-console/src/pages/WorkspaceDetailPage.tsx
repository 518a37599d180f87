/** One workspace: who is in it, its tier and subscription, its AI usage. */
import { Link, useParams } from "react-router";
import { unwrap, type Member, type Subscription } from "../api/client";
import { useClient } from "../api/hooks";
import { useLoad } from "../api/useLoad";
import { ProblemMessage } from "../components/ProblemMessage";
import { Table } from "../components/Table";
import { UsagePanel } from "../components/UsagePanel";

const when = (value: string | null | undefined) =>
  value ? new Date(value).toLocaleDateString() : "—";

export function WorkspaceDetailPage() {
  const { id = "" } = useParams();
  const client = useClient();
  const detail = useLoad(async () => {
    const path = { workspace_id: id };
    const [workspace, members, subscriptions] = await Promise.all([
      client.GET("/api/admin/workspaces/{workspace_id}", { params: { path } }),
      client.GET("/api/admin/workspaces/{workspace_id}/members", {
        params: { path, query: { limit: 100 } },
      }),
      client.GET("/api/admin/subscriptions", {
        params: { query: { workspace_id: id, limit: 20 } },
      }),
    ]);
    return {
      workspace: unwrap(workspace),
      members: unwrap(members).items,
      subscriptions: unwrap(subscriptions).items,
    };
  }, [client, id]);
  const workspace = detail.data?.workspace;
  const current: Subscription | undefined = detail.data?.subscriptions.find(
    (s) => s.status !== "canceled",
  );

  return (
    <>
      <p>
        <Link to="/workspaces">← Workspaces</Link>
      </p>
      <h1>{workspace ? workspace.name : "Workspace"}</h1>
      <ProblemMessage problem={detail.error} />
      {workspace && (
        <>
          <section aria-labelledby="tier-heading">
            <h2 id="tier-heading">Tier and subscription</h2>
            <dl className="totals">
              <dt>Slug</dt>
              <dd>{workspace.slug}</dd>
              <dt>Tier</dt>
              <dd>{workspace.tier_code ?? "none"}</dd>
              <dt>AI tokens a month</dt>
              <dd>{workspace.limits.ai_tokens_monthly?.toLocaleString("en-US") ?? "unlimited"}</dd>
              <dt>Flows</dt>
              <dd>{workspace.limits.flows ?? "unlimited"}</dd>
              <dt>Members allowed</dt>
              <dd>{workspace.limits.members ?? "unlimited"}</dd>
              <dt>Subscription</dt>
              <dd>
                {current
                  ? `${current.tier_code}, ${current.status}${current.cancel_at_period_end ? " (cancels at period end)" : ""}`
                  : "none"}
              </dd>
              <dt>Current period</dt>
              <dd>
                {current
                  ? `${when(current.current_period_start)} – ${when(current.current_period_end)}`
                  : "—"}
              </dd>
            </dl>
          </section>
          <section aria-labelledby="members-heading">
            <h2 id="members-heading">Members</h2>
            <Table<Member>
              caption="Members"
              rows={detail.data?.members ?? []}
              rowKey={(m) => m.user_id}
              columns={[
                { header: "Name", cell: (m) => m.name },
                { header: "Email", cell: (m) => m.email },
                { header: "Role", cell: (m) => m.role },
                { header: "Since", cell: (m) => when(m.created_at) },
              ]}
            />
          </section>
        </>
      )}
      {/* Asked at once, not after the workspace: no waterfall on a slow link. */}
      {!detail.error && <UsagePanel workspaceId={id} />}
    </>
  );
}
