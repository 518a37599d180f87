import { formText } from "../api/form";
import { useState } from "react";
import { Link, useSearchParams } from "react-router";
import { unwrap, type Workspace } from "../api/client";
import { useClient } from "../api/hooks";
import { useLoad } from "../api/useLoad";
import { ProblemMessage } from "../components/ProblemMessage";
import { Table } from "../components/Table";

const PAGE = 25;

export function WorkspacesPage() {
  const client = useClient();
  const [params, setParams] = useSearchParams();
  const q = params.get("q") ?? "";
  const cursor = params.get("cursor") ?? undefined;
  // The cursors of the pages before this one, for "Previous page".
  const [trail, setTrail] = useState<(string | undefined)[]>([]);
  const page = useLoad(async () => {
    const result = await client.GET("/api/admin/workspaces", {
      params: { query: { q: q || undefined, cursor, limit: PAGE } },
    });
    return unwrap(result);
  }, [client, q, cursor]);

  const go = (next: string | undefined, search = q) => {
    const p = new URLSearchParams();
    if (search) p.set("q", search);
    if (next) p.set("cursor", next);
    setParams(p);
  };

  return (
    <>
      <h1>Workspaces</h1>
      <form
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          setTrail([]);
          go(undefined, formText(new FormData(e.currentTarget), "q").trim());
        }}
      >
        <label>
          Search workspaces
          <input name="q" type="search" defaultValue={q} placeholder="name or slug" />
        </label>
        <button type="submit">Search</button>
      </form>
      <ProblemMessage problem={page.error} />
      <Table<Workspace>
        caption={page.loading ? "Workspaces (loading…)" : "Workspaces"}
        rows={page.data?.items ?? []}
        rowKey={(w) => w.id}
        empty={page.loading ? "Loading…" : "No workspaces match."}
        columns={[
          { header: "Name", cell: (w) => <Link to={`/workspaces/${w.id}`}>{w.name}</Link> },
          { header: "Slug", cell: (w) => w.slug },
          { header: "Tier", cell: (w) => w.tier_code ?? "none" },
          { header: "Created", cell: (w) => new Date(w.created_at).toLocaleDateString() },
        ]}
      />
      <nav aria-label="Pages" className="pager">
        <button
          type="button"
          disabled={trail.length === 0}
          onClick={() => {
            const previous = trail.slice(0, -1);
            setTrail(previous);
            go(trail[trail.length - 1]);
          }}
        >
          Previous page
        </button>
        <button
          type="button"
          disabled={!page.data?.next_cursor}
          onClick={() => {
            setTrail([...trail, cursor]);
            go(page.data?.next_cursor ?? undefined);
          }}
        >
          Next page
        </button>
      </nav>
    </>
  );
}
