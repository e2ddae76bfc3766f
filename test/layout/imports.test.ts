import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { formatKnot, importGraph, importKnots, sourceFiles, type ImportEdge } from './import-graph';

const ROOT = path.join(__dirname, '..', '..');

describe('the import graph finds circles', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'import-graph-'));
    const files: Record<string, string> = {
      // A circle closed by a type-only import: the bundle never shows it.
      'a.ts': "import type { B } from './b';\nexport const a = (b: B) => b;\n",
      'b.ts': "import { a } from './a';\nexport type B = number;\nexport const twice = a(2);\n",
      'c.ts': "import { a } from './a';\nimport { x } from './x';\nexport const c = [a, x];\n",
      'x.ts': "import { y } from './sub/y';\nexport const x = () => y;\n",
      'sub/y.ts': "import { z } from '../z';\nexport const y = () => z;\n",
      'z.ts': "import { x } from './x';\nexport const z = () => x;\n",
      // One knot, two circles: p ↔ q, and p → q → r → p; the shorter is shown.
      'p.ts': "import { q } from './q';\nexport const p = () => q;\n",
      'q.ts': "import { p } from './p';\nimport { r } from './r';\nexport const q = () => [p, r];\n",
      'r.ts': "import { p } from './p';\nexport const r = () => p;\n",
    };
    for (const [file, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      fs.writeFileSync(path.join(dir, file), text);
    }
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('each circle once, its files in import order, type-only imports named', async () => {
    const edges = await importGraph(dir, sourceFiles(dir, ['.']));
    const knots = importKnots(edges);
    expect(knots.map((k) => k.circle)).toEqual([
      ['a.ts', 'b.ts', 'a.ts'],
      ['sub/y.ts', 'z.ts', 'x.ts', 'sub/y.ts'],
      ['p.ts', 'q.ts', 'p.ts'],
    ]);
    expect(knots.map((k) => formatKnot(k, edges))).toEqual([
      'a.ts → b.ts (import type) → a.ts',
      'sub/y.ts → z.ts → x.ts → sub/y.ts',
      'p.ts → q.ts → p.ts; in the same knot: r.ts',
    ]);
  });
});

describe('layout of lib/, lambda/, bin/ and sim/', () => {
  let edges: ImportEdge[];
  beforeAll(async () => {
    edges = await importGraph(ROOT, sourceFiles(ROOT, ['lib', 'lambda', 'bin', 'sim']));
  });

  test('the graph covers every source file (a file no entry point reaches is still checked)', () => {
    const seen = new Set(edges.flatMap((e) => [e.from, e.to]));
    expect(seen.has('lib/config/types.ts') && seen.has('lambda/runtime/job.ts') && seen.has('bin/cli.ts') && seen.has('sim/ecs.ts')).toBe(true);
    // Type-only imports are in the graph: config/types.ts is imported for its types only.
    expect(edges.some((e) => e.to === 'lib/config/types.ts' && e.typeOnly)).toBe(true);
  });

  test('no import circle, type-only imports included', () => {
    expect(importKnots(edges).map((k) => formatKnot(k, edges))).toEqual([]);
  });

  test('no lib/ file imports a lambda/ file, not even for a type (the stages take their types from lib/contracts/)', () => {
    const libToLambda = edges.filter((e) => e.from.startsWith('lib/') && e.to.startsWith('lambda/'));
    expect(libToLambda.map((e) => `${e.from} → ${e.to}${e.typeOnly ? ' (import type)' : ''}`)).toEqual([]);
  });
});
