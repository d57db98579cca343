import { CHART_HEIGHT, CHART_WIDTH, DURATION_TOP, ROWS_BASE, type RunChart } from "./chart";
import { svg } from "./dom";
import { formatCount, formatMs } from "./format";

/** Draws `chart` into `target` (an <svg> kept across refreshes), replacing what it showed. */
export function drawRunChart(target: SVGSVGElement, chart: RunChart): void {
  target.setAttribute("viewBox", `0 0 ${CHART_WIDTH} ${CHART_HEIGHT}`);
  target.setAttribute("preserveAspectRatio", "none");
  target.setAttribute("aria-label", chart.summary);
  const nodes: SVGElement[] = [
    svg("line", { class: "axis", x1: 0, x2: CHART_WIDTH, y1: ROWS_BASE + 2, y2: ROWS_BASE + 2 }),
  ];
  for (const bar of chart.bars) {
    const group = svg("g", { class: `run run-${bar.outcome}`, "data-run": bar.runId }, [svg("title", {}, [bar.label])]);
    if (bar.outcome === "failed") {
      group.append(
        svg("rect", { class: "fail-mark", x: bar.x - 0.5, y: 0, width: bar.width + 1, height: CHART_HEIGHT }),
      );
    }
    group.append(
      svg("rect", { class: "rows", x: bar.x, y: ROWS_BASE - bar.rowsHeight, width: bar.width, height: bar.rowsHeight }),
      svg("rect", { class: "duration", x: bar.x, y: DURATION_TOP, width: bar.width, height: bar.durationHeight }),
    );
    nodes.push(group);
  }
  target.replaceChildren(...nodes);
}

/** The chart's scale in words, shown beside it. */
export function chartScale(chart: RunChart): string {
  if (!chart.bars.length) return "no runs yet";
  const failed = chart.failed ? ` · ${chart.failed} failed` : "";
  return `${chart.bars.length} runs · up to ${formatCount(chart.maxRows)} rows · up to ${formatMs(chart.maxMs)}${failed}`;
}
