/** The global theme (GET/PUT /api/admin/ui-settings): every tenant sees it. */
import { formText } from "../api/form";
import { useState, type SubmitEvent } from "react";
import { unwrap, type Problem, type UiSettings, type UiSettingsIn } from "../api/client";
import { useClient } from "../api/hooks";
import { problemOf, useLoad } from "../api/useLoad";
import { errorsByField } from "../api/form";
import { Field } from "../components/Field";
import { ProblemMessage } from "../components/ProblemMessage";

const COLOURS = ["primary", "secondary", "accent", "background", "surface"] as const;

export function UiSettingsPage() {
  const client = useClient();
  const settings = useLoad(
    async () => unwrap(await client.GET("/api/admin/ui-settings")),
    [client],
  );
  return (
    <>
      <h1>UI settings</h1>
      <ProblemMessage problem={settings.error} />
      {settings.data && <ThemeForm initial={settings.data} onSaved={settings.reload} />}
    </>
  );
}

function ThemeForm({ initial, onSaved }: { initial: UiSettings; onSaved: () => void }) {
  const client = useClient();
  const [problem, setProblem] = useState<Problem>();
  const [saved, setSaved] = useState(false);
  const errors = errorsByField(problem?.errors, ["theme_name", "mode", "colours", "logo_url"]);

  const save = async (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setProblem(undefined);
    setSaved(false);
    const body: UiSettingsIn = {
      theme_name: formText(form, "theme_name"),
      mode: formText(form, "mode") as UiSettingsIn["mode"],
      logo_url: formText(form, "logo_url") || null,
      flags: initial.flags ?? {},
      ...(initial.fonts ? { fonts: initial.fonts } : {}),
      ...(initial.colours
        ? {
            colours: {
              ...initial.colours,
              ...Object.fromEntries(COLOURS.map((c) => [c, formText(form, `colour-${c}`)])),
            },
          }
        : {}),
    };
    try {
      unwrap(await client.PUT("/api/admin/ui-settings", { body }));
      setSaved(true);
      onSaved();
    } catch (error) {
      setProblem(problemOf(error));
    }
  };

  return (
    <form noValidate onSubmit={(e) => void save(e)}>
      <Field label="Theme name" errors={errors.theme_name}>
        {(f) => (
          <input
            id={f.id}
            name="theme_name"
            defaultValue={initial.theme_name}
            aria-invalid={f.invalid}
            aria-describedby={f.describedBy}
          />
        )}
      </Field>
      <Field label="Mode" errors={errors.mode}>
        {(f) => (
          <select id={f.id} name="mode" defaultValue={initial.mode}>
            <option value="light">light</option>
            <option value="dark">dark</option>
            <option value="system">system</option>
          </select>
        )}
      </Field>
      <Field label="Logo URL" errors={errors.logo_url}>
        {(f) => (
          <input
            id={f.id}
            name="logo_url"
            type="url"
            defaultValue={initial.logo_url ?? ""}
            aria-invalid={f.invalid}
            aria-describedby={f.describedBy}
          />
        )}
      </Field>
      {initial.colours && (
        <fieldset>
          <legend>Colours</legend>
          {COLOURS.map((c) => (
            <label key={c}>
              {`Colour: ${c}`}
              <input name={`colour-${c}`} type="color" defaultValue={initial.colours?.[c]} />
            </label>
          ))}
          {errors.colours && <p className="field-errors">{errors.colours.join("; ")}</p>}
        </fieldset>
      )}
      <ProblemMessage problem={problem} />
      {errors[""] && <p className="field-errors">{errors[""].join("; ")}</p>}
      {saved && <p role="status">Saved.</p>}
      <button type="submit">Save theme</button>
    </form>
  );
}
