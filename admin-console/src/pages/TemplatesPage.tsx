/** The flow builder's templates and drafts: create a draft, publish one. */
import { formText } from "../api/form";
import { useState, type SubmitEvent } from "react";
import {
  unwrap,
  type FlowDraft,
  type FlowDraftIn,
  type FlowTemplate,
  type Problem,
} from "../api/client";
import { useClient } from "../api/hooks";
import { problemOf, useLoad } from "../api/useLoad";
import { errorsByField } from "../api/form";
import { Field } from "../components/Field";
import { ProblemMessage } from "../components/ProblemMessage";
import { Table } from "../components/Table";

const FIELDS = ["name", "description", "nodes", "edges"];
// The smallest graph the flow builder accepts: one start node.
const START_GRAPH = JSON.stringify([{ id: "start", type: "start" }]);

function parseList(text: string, label: string): FlowDraftIn["nodes"] {
  const trimmed = text.trim();
  if (!trimmed) return [];
  const value: unknown = JSON.parse(trimmed);
  if (!Array.isArray(value)) throw new Error(`${label} must be a JSON list`);
  return value as FlowDraftIn["nodes"];
}

export function TemplatesPage() {
  const client = useClient();
  const [problem, setProblem] = useState<Problem>();
  const [publishProblem, setPublishProblem] = useState<Problem>();
  const [notice, setNotice] = useState<string>();
  const lists = useLoad(async () => {
    const [templates, drafts] = await Promise.all([
      client.GET("/api/admin/flow-templates", { params: { query: { limit: 100 } } }),
      client.GET("/api/admin/flow-drafts", { params: { query: { limit: 100 } } }),
    ]);
    return { templates: unwrap(templates).items, drafts: unwrap(drafts).items };
  }, [client]);
  const templates = lists.data?.templates ?? [];
  const byId = new Map(templates.map((t) => [t.id, t]));

  const create = async (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    const formElement = event.currentTarget;
    const form = new FormData(formElement);
    setProblem(undefined);
    setNotice(undefined);
    try {
      const body: FlowDraftIn = {
        name: formText(form, "name"),
        description: formText(form, "description"),
        nodes: parseList(formText(form, "nodes"), "Nodes"),
        edges: parseList(formText(form, "edges"), "Edges") as FlowDraftIn["edges"],
      };
      const draft = unwrap(await client.POST("/api/admin/flow-drafts", { body }));
      setNotice(`Draft "${draft.name}" created.`);
      formElement.reset();
      lists.reload();
    } catch (error) {
      setProblem(problemOf(error));
    }
  };

  const publish = async (draft: FlowDraft) => {
    setPublishProblem(undefined);
    setNotice(undefined);
    try {
      const result = unwrap(
        await client.POST("/api/admin/flow-drafts/{draft_id}/publish", {
          params: { path: { draft_id: draft.id } },
        }),
      );
      setNotice(
        `Published "${draft.name}" as template "${result.template.name}" version ${result.template.version}.`,
      );
      lists.reload();
    } catch (error) {
      setPublishProblem(problemOf(error));
    }
  };

  const fieldErrors = errorsByField(problem?.errors, FIELDS);

  return (
    <>
      <h1>Automation templates</h1>
      <ProblemMessage problem={lists.error} />
      {notice && (
        <p role="status" className="notice">
          {notice}
        </p>
      )}
      <section aria-labelledby="templates-heading">
        <h2 id="templates-heading">Templates</h2>
        <Table<FlowTemplate>
          caption="Templates"
          rows={templates}
          rowKey={(t) => t.id}
          empty={lists.loading ? "Loading…" : "No templates yet."}
          columns={[
            { header: "Name", cell: (t) => t.name },
            { header: "Version", cell: (t) => t.version, numeric: true },
            { header: "Nodes", cell: (t) => t.nodes.length, numeric: true },
            { header: "Updated", cell: (t) => new Date(t.updatedAt).toLocaleString() },
          ]}
        />
      </section>
      <section aria-labelledby="drafts-heading">
        <h2 id="drafts-heading">Drafts</h2>
        <ProblemMessage problem={publishProblem} />
        <Table<FlowDraft>
          caption="Drafts"
          rows={lists.data?.drafts ?? []}
          rowKey={(d) => d.id}
          empty={lists.loading ? "Loading…" : "No drafts yet."}
          columns={[
            { header: "Name", cell: (d) => d.name },
            { header: "Description", cell: (d) => d.description },
            {
              header: "Template",
              cell: (d) =>
                d.templateId
                  ? `bound to ${byId.get(d.templateId)?.name ?? d.templateId}${d.publishedVersion ? ` (v${d.publishedVersion})` : ""}`
                  : "not published",
            },
            {
              header: "Actions",
              cell: (d) => (
                <button type="button" onClick={() => void publish(d)}>
                  Publish {d.name}
                </button>
              ),
            },
          ]}
        />
      </section>
      <section aria-labelledby="new-draft-heading">
        <h2 id="new-draft-heading">New draft</h2>
        {/* No browser validation: the backend's own errors are what we show. */}
        <form noValidate onSubmit={(e) => void create(e)}>
          <Field label="Name" errors={fieldErrors.name}>
            {(f) => (
              <input
                id={f.id}
                name="name"
                aria-invalid={f.invalid}
                aria-describedby={f.describedBy}
              />
            )}
          </Field>
          <Field label="Description" errors={fieldErrors.description}>
            {(f) => (
              <input
                id={f.id}
                name="description"
                aria-invalid={f.invalid}
                aria-describedby={f.describedBy}
              />
            )}
          </Field>
          <Field label="Nodes (JSON)" errors={fieldErrors.nodes}>
            {(f) => (
              <textarea
                id={f.id}
                name="nodes"
                rows={3}
                defaultValue={START_GRAPH}
                aria-invalid={f.invalid}
                aria-describedby={f.describedBy}
              />
            )}
          </Field>
          <Field label="Edges (JSON)" errors={fieldErrors.edges}>
            {(f) => (
              <textarea
                id={f.id}
                name="edges"
                rows={3}
                defaultValue="[]"
                aria-invalid={f.invalid}
                aria-describedby={f.describedBy}
              />
            )}
          </Field>
          <ProblemMessage problem={problem} />
          {fieldErrors[""] && (
            <ul className="field-errors">
              {fieldErrors[""].map((e) => (
                <li key={e}>{e}</li>
              ))}
            </ul>
          )}
          <button type="submit">Create draft</button>
        </form>
      </section>
    </>
  );
}
