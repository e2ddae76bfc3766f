import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';

/** One import between two of the project's files; `typeOnly` when it disappears from the bundle. */
export interface ImportEdge {
  readonly from: string;
  readonly to: string;
  readonly typeOnly: boolean;
}

/** Every .ts file below `dirs` (relative to `root`), declarations excluded. */
export function sourceFiles(root: string, dirs: readonly string[]): string[] {
  const walk = (dir: string): string[] =>
    fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) => {
      const rel = path.join(dir, e.name);
      if (e.isDirectory()) return walk(rel);
      return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [rel] : [];
    });
  return dirs.flatMap(walk).sort();
}

/**
 * esbuild drops type-only imports before it resolves anything, so its metafile alone shows no
 * circle made of types. This plugin hands esbuild, for each file, only the file's import
 * specifiers (TypeScript's own preprocessor finds them, `import type` included) as plain imports:
 * esbuild still resolves them, as the bundle would.
 */
const everyImport: esbuild.Plugin = {
  name: 'every-import',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, (args) => {
      const specifiers = ts.preProcessFile(fs.readFileSync(args.path, 'utf8'), true, true).importedFiles.map((f) => f.fileName);
      return { contents: specifiers.map((s) => `import ${JSON.stringify(s)};`).join('\n'), loader: 'js', resolveDir: path.dirname(args.path) };
    });
  },
};

async function metafileGraph(root: string, entryPoints: string[], plugins: esbuild.Plugin[]): Promise<Map<string, string[]>> {
  const result = await esbuild.build({
    entryPoints,
    absWorkingDir: root,
    bundle: true,
    platform: 'node',
    packages: 'external',
    write: false,
    metafile: true,
    outdir: 'import-graph-out',
    logLevel: 'silent',
    plugins,
  });
  const inputs = result.metafile.inputs;
  return new Map(Object.entries(inputs).map(([file, input]) => [file, input.imports.filter((i) => !i.external && i.path in inputs).map((i) => i.path)]));
}

/** The project's import graph over `entryPoints` (paths relative to `root`), type-only imports included and marked. */
export async function importGraph(root: string, entryPoints: string[]): Promise<ImportEdge[]> {
  const [all, runtime] = await Promise.all([metafileGraph(root, entryPoints, [everyImport]), metafileGraph(root, entryPoints, [])]);
  return [...all].flatMap(([from, tos]) => [...new Set(tos)].map((to) => ({ from, to, typeOnly: !runtime.get(from)?.includes(to) })));
}

/** A knot of files that import each other round (a strongly connected component), and its shortest circle. */
export interface ImportKnot {
  /** The files in import order, the first repeated at the end. */
  readonly circle: string[];
  /** Every file of the knot: breaking `circle` may leave a smaller circle among them. */
  readonly files: string[];
}

/** The knots of the graph (Tarjan's strongly connected components), each with its shortest circle. */
export function importKnots(edges: readonly ImportEdge[]): ImportKnot[] {
  const next = new Map<string, string[]>();
  for (const e of edges) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  const nodes = [...new Set(edges.flatMap((e) => [e.from, e.to]))].sort();
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const connect = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || next.get(v)?.includes(v)) components.push(component.sort());
    }
  };
  for (const v of nodes) if (!index.has(v)) connect(v);
  return components.map((files) => {
    const inKnot = new Set(files);
    const circles = files.map((file) => shortestCircle(file, inKnot, next));
    return { circle: circles.reduce((best, c) => (c.length < best.length ? c : best)), files };
  });
}

/** Breadth-first from `start` back to `start`, inside its component. */
function shortestCircle(start: string, component: Set<string>, next: Map<string, string[]>): string[] {
  const cameFrom = new Map<string, string>();
  const queue = [start];
  while (queue.length) {
    const v = queue.shift()!;
    for (const w of (next.get(v) ?? []).filter((n) => component.has(n))) {
      if (w === start) {
        const circle = [v];
        while (circle[0] !== start) circle.unshift(cameFrom.get(circle[0])!);
        return [...circle, start];
      }
      if (!cameFrom.has(w)) {
        cameFrom.set(w, v);
        queue.push(w);
      }
    }
  }
  throw new Error(`${start} is in a circle that breadth-first search did not close`);
}

/**
 * `a.ts → b.ts (import type) → a.ts`, which imports are type-only (what a move must carry), and
 * the knot's other files.
 */
export function formatKnot({ circle, files }: ImportKnot, edges: readonly ImportEdge[]): string {
  const others = files.filter((f) => !circle.includes(f));
  const path = circle
    .map((file, i) => {
      const edge = i > 0 && edges.find((e) => e.from === circle[i - 1] && e.to === file);
      return edge && edge.typeOnly ? `${file} (import type)` : file;
    })
    .join(' → ');
  return others.length ? `${path}; in the same knot: ${others.join(', ')}` : path;
}
