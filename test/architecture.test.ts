/**
 * The direction of imports is the architecture: the host (src/) never imports a
 * plugin, except the one composition root (src/index.ts), and no module imports
 * itself back through others, type-only imports included.
 */
import { describe, expect, it } from "vitest";

// Vite inlines the sources at transform time: the test needs no file system.
const sources = import.meta.glob(["../src/**/*.ts", "../plugins/**/*.ts", "!**/*.test.ts"], {
  query: "?raw",
  import: "default",
  eager: true,
}) as Record<string, string>;

const COMPOSITION_ROOT = "src/index.ts";

/** Module path (from the project root) -> the project modules it imports, type-only imports included. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const files = new Set(Object.keys(sources).map((key) => key.replace(/^\.\.\//, "")));
  for (const [key, text] of Object.entries(sources)) {
    const file = key.replace(/^\.\.\//, "");
    const targets: string[] = [];
    for (const match of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s+["']([^"']+)["']/g)) {
      const spec = match[1]!;
      if (!spec.startsWith(".")) continue;
      const resolved = resolve(file, spec, files);
      if (resolved) targets.push(resolved);
    }
    graph.set(file, targets);
  }
  return graph;
}

function resolve(from: string, spec: string, files: Set<string>): string | undefined {
  const parts = from.split("/").slice(0, -1);
  for (const piece of spec.split("/")) {
    if (piece === "..") parts.pop();
    else if (piece !== ".") parts.push(piece);
  }
  const base = parts.join("/");
  return [`${base}.ts`, `${base}/index.ts`].find((candidate) => files.has(candidate));
}

function findCycle(graph: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (node: string): string[] | undefined => {
    state.set(node, "open");
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === "open") return [...stack.slice(stack.indexOf(next)), next];
      if (!state.has(next)) {
        const cycle = visit(next);
        if (cycle) return cycle;
      }
    }
    stack.pop();
    state.set(node, "done");
    return undefined;
  };
  for (const node of graph.keys()) {
    if (!state.has(node)) {
      const cycle = visit(node);
      if (cycle) return cycle;
    }
  }
  return undefined;
}

describe("architecture", () => {
  const graph = importGraph();

  it("reads every module", () => {
    expect(graph.size).toBeGreaterThan(50);
    expect(graph.get("src/index.ts")).toContain("plugins/index.ts");
  });

  it("has no import from src/ into plugins/ outside the composition root", () => {
    const offenders = [...graph]
      .filter(([file]) => file.startsWith("src/") && file !== COMPOSITION_ROOT)
      .flatMap(([file, targets]) => targets.filter((t) => t.startsWith("plugins/")).map((t) => `${file} -> ${t}`));
    expect(offenders).toEqual([]);
  });

  it("has no import cycle", () => {
    expect(findCycle(graph)?.join(" -> ")).toBeUndefined();
  });
});
