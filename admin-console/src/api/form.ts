/** A form field's text ("" for a missing field or a file). */
export function formText(form: FormData, name: string): string {
  const value = form.get(name);
  return typeof value === "string" ? value : "";
}

/** Groups a problem's field errors by the form field they belong to
 * ("nodes.0.id" belongs to "nodes"); the rest go under "". */
export function errorsByField(
  errors: { field: string; message: string }[] | null | undefined,
  fields: string[],
): Record<string, string[]> {
  const grouped: Record<string, string[]> = {};
  for (const error of errors ?? []) {
    const root = error.field.split(".")[0] ?? "";
    const key = fields.includes(root) ? root : "";
    const message = key === "" ? `${error.field}: ${error.message}` : error.message;
    (grouped[key] ??= []).push(message);
  }
  return grouped;
}
