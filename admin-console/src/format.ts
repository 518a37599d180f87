/** Number, money and date formats shared by the pages. */
function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

export function defaultRange(now = new Date()): { from: string; to: string } {
  const from = new Date(now);
  from.setUTCDate(from.getUTCDate() - 29);
  return { from: isoDay(from), to: isoDay(now) };
}

export const zones: string[] = (() => {
  try {
    return Intl.supportedValuesOf("timeZone");
  } catch {
    return ["UTC"];
  }
})();

export const usd = (value: string | number | null | undefined) =>
  value == null ? "—" : `$${Number(value).toFixed(4)}`;
export const int = (value: number | undefined) => (value ?? 0).toLocaleString("en-US");
