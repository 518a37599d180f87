/** Calls, tokens and cost by day, drawn by uPlot (one y axis per unit). */
import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { UsageSummary } from "../api/client";

function days(day: string): number {
  return Date.parse(`${day}T00:00:00Z`) / 1000;
}

export function UsageChart({ byDay }: { byDay: UsageSummary["by_day"] }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const data: uPlot.AlignedData = [
      byDay.map((d) => days(d.day)),
      byDay.map((d) => d.calls),
      byDay.map((d) => d.total_tokens),
      byDay.map((d) => d.cost_usd),
    ];
    const plot = new uPlot(
      {
        width: Math.max(320, element.clientWidth || 800),
        height: 260,
        // Days are calendar days of the chosen zone: label them as given.
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), "Etc/UTC"),
        scales: { x: { time: true } },
        series: [
          { label: "Day" },
          { label: "Calls", scale: "calls", stroke: "#2563eb", width: 2 },
          { label: "Tokens", scale: "tokens", stroke: "#16a34a", width: 2 },
          {
            label: "Cost (USD)",
            scale: "usd",
            stroke: "#dc2626",
            width: 2,
            value: (_, v) => `$${v.toFixed(4)}`,
          },
        ],
        axes: [
          {},
          { scale: "calls", label: "calls" },
          // eslint-disable-next-line @typescript-eslint/no-unsafe-enum-assignment -- uPlot.Side.Right
          { scale: "tokens", side: 1, label: "tokens", size: 70, grid: { show: false } },
          // eslint-disable-next-line @typescript-eslint/no-unsafe-enum-assignment -- uPlot.Side.Right
          { scale: "usd", side: 1, label: "USD", size: 60, grid: { show: false } },
        ],
      },
      data,
      element,
    );
    return () => {
      plot.destroy();
    };
  }, [byDay]);
  return (
    <figure>
      <div
        ref={box}
        role="img"
        aria-label={`Chart of calls, tokens and cost over ${byDay.length} days`}
      />
      <figcaption>Calls, tokens and cost by day</figcaption>
    </figure>
  );
}
