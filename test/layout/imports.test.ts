import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { formatKnot, importGraph, importKnots, sourceFiles, type ImportEdge } from './import-graph';

const ROOT = path.join(__dirname, '..', '..');

/**
 * lib/ files that still import handler files, for their parameter types. Branch `schemas` moves
 * those types to lib/contracts/: delete each line when its import is gone (the last test fails on
 * a line that no longer matches, so the list only shrinks).
 */
const KNOWN_LIB_TO_LAMBDA: string[] = [
  // The RabbitMQ stage's desired-state types until they move to lib/contracts/rabbitmq.ts (branch rabbit).
  'lib/stages/configure-rabbitmq.ts → lambda/rabbitmq/config.ts',
];

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

describe('layout of lib/, lambda/ and bin/', () => {
  let edges: ImportEdge[];
  beforeAll(async () => {
    edges = await importGraph(ROOT, sourceFiles(ROOT, ['lib', 'lambda', 'bin']));
  });

  test('the graph covers every source file (a file no entry point reaches is still checked)', () => {
    const seen = new Set(edges.flatMap((e) => [e.from, e.to]));
    expect(seen.has('lib/config/types.ts') && seen.has('lambda/runtime/job.ts') && seen.has('bin/cli.ts')).toBe(true);
    // Type-only imports are in the graph: config/types.ts is imported for its types only.
    expect(edges.some((e) => e.to === 'lib/config/types.ts' && e.typeOnly)).toBe(true);
  });

  test('no import circle, type-only imports included', () => {
    expect(importKnots(edges).map((k) => formatKnot(k, edges))).toEqual([]);
  });

  test('no lib/ file imports a lambda/ file (beyond the known type-only imports of handler parameters)', () => {
    const libToLambda = edges.filter((e) => e.from.startsWith('lib/') && e.to.startsWith('lambda/'));
    expect(libToLambda.filter((e) => !e.typeOnly).map((e) => `${e.from} → ${e.to}`)).toEqual([]);
    const found = libToLambda.map((e) => `${e.from} → ${e.to}`).sort();
    expect(found.filter((e) => !KNOWN_LIB_TO_LAMBDA.includes(e))).toEqual([]);
    // Gone from the code: delete it from KNOWN_LIB_TO_LAMBDA.
    expect(KNOWN_LIB_TO_LAMBDA.filter((e) => !found.includes(e))).toEqual([]);
  });
});
