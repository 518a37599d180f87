/** core-api's price table (a new entry never edits a past one) and the
 * usage-ingestor's reprice of stored calls over a range with the prices now
 * in force. */
import { formText } from "../api/form";
import { useState, type SubmitEvent } from "react";
import {
  unwrap,
  type ModelPrice,
  type ModelPriceIn,
  type Problem,
  type RepriceIn,
  type RepriceOut,
} from "../api/client";
import { useClient } from "../api/hooks";
import { problemOf, useLoad } from "../api/useLoad";
import { errorsByField } from "../api/form";
import { Field } from "../components/Field";
import { ProblemMessage } from "../components/ProblemMessage";
import { Table } from "../components/Table";
import { usd } from "../format";

const RATES = [
  ["input", "Input"],
  ["cached_input", "Cached input"],
  ["output", "Output"],
  ["reasoning", "Reasoning"],
  ["cache_write", "Cache write"],
  ["audio_input", "Audio input"],
  ["audio_output", "Audio output"],
] as const;
const REQUIRED = new Set(["input", "cached_input", "output"]);

export function ModelPricesPage() {
  const client = useClient();
  const prices = useLoad(async () => {
    const result = await client.GET("/api/admin/model-prices", {
      params: { query: { limit: 200 } },
    });
    return unwrap(result).items;
  }, [client]);
  return (
    <>
      <h1>Model prices</h1>
      <ProblemMessage problem={prices.error} />
      <Table<ModelPrice>
        caption="Prices in USD per 1M tokens"
        rows={prices.data ?? []}
        rowKey={(p) => p.id}
        empty={prices.loading ? "Loading…" : "No prices."}
        columns={[
          { header: "Model", cell: (p) => p.model },
          { header: "Service tier", cell: (p) => p.service_tier },
          { header: "Effective from", cell: (p) => p.effective_from },
          ...RATES.map(([key, label]) => ({
            header: label,
            cell: (p: ModelPrice) => p[key] ?? "—",
            numeric: true,
          })),
          { header: "Source", cell: (p) => p.source },
        ]}
      />
      <AddPriceForm onAdded={prices.reload} />
      <RepriceForm />
    </>
  );
}

function AddPriceForm({ onAdded }: { onAdded: () => void }) {
  const client = useClient();
  const [problem, setProblem] = useState<Problem>();
  const [notice, setNotice] = useState<string>();
  const fields = ["model", "effective_from", "service_tier", ...RATES.map(([k]) => k)];
  const errors = errorsByField(problem?.errors, fields);

  const submit = async (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    const formElement = event.currentTarget;
    const form = new FormData(formElement);
    setProblem(undefined);
    setNotice(undefined);
    const text = (name: string) => formText(form, name).trim();
    const body: ModelPriceIn = {
      model: text("model"),
      effective_from: text("effective_from"),
      service_tier: text("service_tier") || "default",
      input: text("input"),
      cached_input: text("cached_input"),
      output: text("output"),
    };
    for (const [key] of RATES) {
      if (!REQUIRED.has(key) && text(key)) body[key] = text(key);
    }
    try {
      const added = unwrap(await client.POST("/api/admin/model-prices", { body }));
      setNotice(`Added ${added.model} from ${added.effective_from}.`);
      formElement.reset();
      onAdded();
    } catch (error) {
      setProblem(problemOf(error));
    }
  };

  const input = (name: string, label: string, type = "text") => (
    <Field key={name} label={label} errors={errors[name]}>
      {(f) => (
        <input
          id={f.id}
          name={name}
          type={type}
          inputMode={type === "text" && name !== "model" ? "decimal" : undefined}
          aria-invalid={f.invalid}
          aria-describedby={f.describedBy}
        />
      )}
    </Field>
  );

  return (
    <section aria-labelledby="add-price-heading">
      <h2 id="add-price-heading">Add a price entry</h2>
      <form noValidate onSubmit={(e) => void submit(e)} className="grid">
        {input("model", "Model")}
        {input("effective_from", "Effective from", "date")}
        <Field label="Service tier" errors={errors.service_tier}>
          {(f) => (
            <select id={f.id} name="service_tier" defaultValue="default">
              {["default", "batch", "flex", "priority", "scale"].map((t) => (
                <option key={t}>{t}</option>
              ))}
            </select>
          )}
        </Field>
        {RATES.map(([key, label]) =>
          input(key, `${label} (USD per 1M)${REQUIRED.has(key) ? "" : ", optional"}`),
        )}
        <ProblemMessage problem={problem} />
        {errors[""] && <p className="field-errors">{errors[""].join("; ")}</p>}
        {notice && <p role="status">{notice}</p>}
        <button type="submit">Add price</button>
      </form>
    </section>
  );
}

function RepriceForm() {
  const client = useClient();
  const [problem, setProblem] = useState<Problem>();
  const [result, setResult] = useState<RepriceOut>();

  const submit = async (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setProblem(undefined);
    setResult(undefined);
    const model = formText(form, "model").trim();
    try {
      const body: RepriceIn = {
        from: formText(form, "from"),
        to: formText(form, "to"),
        ...(model ? { model } : {}),
      };
      setResult(unwrap(await client.POST("/api/admin/usage/reprice", { body })));
    } catch (error) {
      setProblem(problemOf(error));
    }
  };

  return (
    <section aria-labelledby="reprice-heading">
      <h2 id="reprice-heading">Reprice stored calls</h2>
      <form noValidate onSubmit={(e) => void submit(e)} className="row">
        <label>
          Reprice from
          <input name="from" type="date" />
        </label>
        <label>
          Reprice to
          <input name="to" type="date" />
        </label>
        <label>
          Only model (optional)
          <input name="model" />
        </label>
        <button type="submit">Reprice</button>
      </form>
      <ProblemMessage problem={problem} />
      {result && (
        <p role="status">
          {`Repriced ${result.calls} calls, ${result.changed} changed: ${usd(result.cost_before)} → ${usd(result.cost_after)}.`}
        </p>
      )}
    </section>
  );
}
