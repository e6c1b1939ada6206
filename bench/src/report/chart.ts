// Latency-against-load charts for the report: vega-lite compiles the spec and vega renders it
// headless (renderer 'none': no canvas, no DOM) to a static SVG.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { TopLevelSpec } from 'vega-lite';

export interface LatencyPoint {
  server: string;
  /** Receivers of each message. */
  fanout: number;
  /** Deliveries per second offered (messages/s × fan-out). */
  offered: number;
  p50Ms: number;
  p99Ms: number;
}

/** p99 against offered load, both log scales, a line per server, a column per fan-out. */
function latencySpec(points: LatencyPoint[], title: string): TopLevelSpec {
  return {
    title,
    // A log scale cannot place 0 or NaN (a step where nothing was measured): leave those out.
    data: { values: points.filter((point) => point.offered > 0 && point.p99Ms > 0) },
    facet: {
      column: {
        field: 'fanout',
        type: 'ordinal',
        title: 'Fan-out (receivers per message)',
        header: { labelExpr: "'F = ' + datum.value" },
      },
    },
    spec: {
      width: 260,
      height: 220,
      mark: { type: 'line', point: true },
      encoding: {
        x: {
          field: 'offered',
          type: 'quantitative',
          scale: { type: 'log' },
          title: 'Offered deliveries/s',
        },
        y: {
          field: 'p99Ms',
          type: 'quantitative',
          scale: { type: 'log' },
          title: 'p99 latency (ms)',
        },
        color: { field: 'server', type: 'nominal', title: 'Server' },
        // Join each server's points in load order, whatever order they were measured in.
        order: { field: 'offered', type: 'quantitative' },
      },
    },
  };
}

/** The chart as SVG text. */
export async function renderLatencyChart(points: LatencyPoint[], title: string): Promise<string> {
  // Both are ESM-only (and vega has a top-level await), so this CommonJS code must import().
  const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
  const view = new vega.View(vega.parse(vegaLite.compile(latencySpec(points, title)).spec), {
    renderer: 'none',
  });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Renders the chart to `file` (an .svg), creating its folder. */
export async function writeChart(file: string, points: LatencyPoint[], title: string) {
  const svg = await renderLatencyChart(points, title);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, svg);
}
