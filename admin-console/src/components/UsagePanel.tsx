/** A workspace's AI usage: range and zone, totals, chart, breakdowns, CSV. */
import { useState } from "react";
import { useSearchParams } from "react-router";
import { unwrap, type UsageNumbers } from "../api/client";
import { useClient } from "../api/hooks";
import { downloadCsv } from "../api/csv";
import { problemOf, useLoad } from "../api/useLoad";
import { formText } from "../api/form";
import { defaultRange, int, usd, zones } from "../format";
import { ProblemMessage } from "./ProblemMessage";
import { Table, type Column } from "./Table";
import { UsageChart } from "./UsageChart";

function numberColumns<T extends UsageNumbers>(): Column<T>[] {
  return [
    { header: "Calls", cell: (r) => int(r.calls), numeric: true },
    { header: "Prompt tokens", cell: (r) => int(r.prompt_tokens), numeric: true },
    { header: "Cached tokens", cell: (r) => int(r.cached_tokens), numeric: true },
    { header: "Completion tokens", cell: (r) => int(r.completion_tokens), numeric: true },
    { header: "Reasoning tokens", cell: (r) => int(r.reasoning_tokens), numeric: true },
    { header: "Total tokens", cell: (r) => int(r.total_tokens), numeric: true },
    { header: "Cost (USD)", cell: (r) => usd(r.cost_usd), numeric: true },
    { header: "Unpriced calls", cell: (r) => int(r.unpriced_calls), numeric: true },
    { header: "Usage missing", cell: (r) => int(r.usage_missing_calls), numeric: true },
  ];
}

export function UsagePanel({ workspaceId }: { workspaceId: string }) {
  const client = useClient();
  // The range lives in the URL (?from=&to=&tz=): a view can be shared or reloaded.
  const [params, setParams] = useSearchParams();
  const fallback = defaultRange();
  const range = {
    from: params.get("from") ?? fallback.from,
    to: params.get("to") ?? fallback.to,
    tz: params.get("tz") ?? "UTC",
  };
  const setRange = (next: typeof range) => {
    setParams(next, { replace: true });
  };
  const [exportProblem, setExportProblem] = useState<ReturnType<typeof problemOf>>();
  const usage = useLoad(async () => {
    const result = await client.GET("/api/admin/workspaces/{workspace_id}/usage", {
      params: { path: { workspace_id: workspaceId }, query: range },
    });
    return unwrap(result);
  }, [client, workspaceId, range.from, range.to, range.tz]);
  const summary = usage.data;
  const totals = summary?.totals;

  return (
    <section aria-labelledby="usage-heading">
      <h2 id="usage-heading">AI usage</h2>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          const form = new FormData(e.currentTarget);
          setRange({
            from: formText(form, "from"),
            to: formText(form, "to"),
            tz: formText(form, "tz") || "UTC",
          });
        }}
      >
        <label>
          From
          <input name="from" type="date" defaultValue={range.from} />
        </label>
        <label>
          To
          <input name="to" type="date" defaultValue={range.to} />
        </label>
        <label>
          Time zone
          <input name="tz" list="time-zones" defaultValue={range.tz} />
        </label>
        <datalist id="time-zones">
          {zones.map((z) => (
            <option key={z} value={z} />
          ))}
        </datalist>
        <button type="submit">Show usage</button>
        <button
          type="button"
          onClick={() => {
            setExportProblem(undefined);
            downloadCsv(client, workspaceId, range).catch((error: unknown) => {
              setExportProblem(problemOf(error));
            });
          }}
        >
          Export CSV
        </button>
      </form>
      <ProblemMessage problem={usage.error ?? exportProblem} />
      {usage.loading && <p aria-live="polite">Loading usage…</p>}
      {summary && totals && (
        <>
          <h3>Totals</h3>
          <dl className="totals" aria-label="Usage totals">
            <dt>Calls</dt>
            <dd>{int(totals.calls)}</dd>
            <dt>Prompt tokens</dt>
            <dd>{int(totals.prompt_tokens)}</dd>
            <dt>Cached tokens</dt>
            <dd>{int(totals.cached_tokens)}</dd>
            <dt>Completion tokens</dt>
            <dd>{int(totals.completion_tokens)}</dd>
            <dt>Reasoning tokens</dt>
            <dd>{int(totals.reasoning_tokens)}</dd>
            <dt>Total tokens</dt>
            <dd>{int(totals.total_tokens)}</dd>
            <dt>Cost (USD)</dt>
            <dd>{usd(totals.cost_usd)}</dd>
            <dt>Unpriced calls</dt>
            <dd>{int(totals.unpriced_calls)}</dd>
            <dt>Usage-missing calls</dt>
            <dd>{int(totals.usage_missing_calls)}</dd>
          </dl>
          <UsageChart byDay={summary.by_day} />
          <Table
            caption="By model"
            rows={summary.by_model}
            rowKey={(r) => r.model}
            columns={[{ header: "Model", cell: (r) => r.model }, ...numberColumns()]}
          />
          <Table
            caption="By service"
            rows={summary.by_service}
            rowKey={(r) => r.service}
            columns={[{ header: "Service", cell: (r) => r.service }, ...numberColumns()]}
          />
          <Table
            caption="By service tier"
            rows={summary.by_service_tier}
            rowKey={(r) => r.service_tier}
            columns={[{ header: "Service tier", cell: (r) => r.service_tier }, ...numberColumns()]}
          />
        </>
      )}
    </section>
  );
}
