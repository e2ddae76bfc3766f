/** The deployment report page and its terminal twin: well-formed, complete, and escaping whatever the data holds. */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { computeWindows, DeploymentReport, REPORT_VERSION } from '../../lib/contracts/report';
import { TIMELINE_STATES, type TimelineSpan } from '../../lib/contracts/timeline';
import { escapeXml, formatDuration, renderReport, renderSvg, renderTerminal } from '../../lib/report/render';

const T0 = Date.parse('2026-12-01T10:00:00Z');
const s = (sec: number) => T0 + sec * 1000;

const STAGES = [
  ['Source', 0, 2, 'Succeeded'],
  ['Configure_RabbitMQ_Vhosts_and_Permissions', 2, 10, 'Succeeded'],
  ['Run_pre-deploy_hook', 10, 95, 'Succeeded'],
  ['Pre_Deployment_Configuration', 95, 100, 'Succeeded'],
  ['Deploy_Scheduler', 100, 220, 'Succeeded'],
  ['Run_install', 220, 360, 'Succeeded'],
  ['Deploy_Spryker_services', 360, 540, 'Failed'],
] as const;

/** Every state: one of them still open when the report was written. */
const STATES: TimelineSpan[] = TIMELINE_STATES.map((state, i) => ({ state, startMs: s(5 + i * 60), ...(state === 'maintenance' ? {} : { endMs: s(50 + i * 70) }), startNote: `note ${i}` }));

function report(over: Partial<DeploymentReport> = {}): DeploymentReport {
  const states = over.states ?? STATES;
  return DeploymentReport.parse({
    v: REPORT_VERSION,
    pipeline: 'production-deploy',
    executionId: 'e-1234',
    version: '2222222222222222222222222222222222222222',
    outcome: 'Failed',
    startMs: s(0),
    endMs: s(540),
    stages: STAGES.map(([name, a, b, outcome]) => ({ name, startMs: s(a), endMs: s(b), outcome })),
    states,
    windows: computeWindows(states, s(540)),
    ...over,
  });
}

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', parseTagValue: false, isArray: (_name: string, _path: unknown, _leaf: boolean, attribute: boolean) => !attribute });

/** Every text content in a parsed XML tree, the way a reader sees it (entities decoded). */
function texts(node: unknown): string[] {
  if (typeof node === 'string' || typeof node === 'number') return [String(node)];
  if (Array.isArray(node)) return node.flatMap(texts);
  if (node && typeof node === 'object') return Object.entries(node).flatMap(([k, v]) => (k.startsWith('@') ? [] : texts(v)));
  return [];
}

test('the SVG is well-formed XML and draws every stage and every state, with its duration', () => {
  const svg = renderSvg(report());
  expect(XMLValidator.validate(svg)).toBe(true);
  const all = texts(parser.parse(svg)).join('\n');
  for (const [name, a, b] of STAGES) {
    expect(all).toContain(name);
    expect(all).toContain(formatDuration((b - a) * 1000));
  }
  const groups = parser.parse(svg).svg[0].g.filter((g: Record<string, string>) => g['@class'] === 'state');
  expect(groups.map((g: Record<string, string>) => g['@data-state'])).toEqual([...TIMELINE_STATES]);
  // Every state entered has its bar: a coloured band plus the row's bar.
  for (const g of groups) expect(g.rect).toHaveLength(2);
  expect(all).toContain('(open)');
  expect(all).toContain('stage Failed');
});

test('a state the run never entered is shown as such, not drawn', () => {
  const svg = renderSvg(report({ states: STATES.filter((x) => x.state !== 'syncCatchUp') }));
  const group = parser.parse(svg).svg[0].g.find((g: Record<string, string>) => g['@data-state'] === 'syncCatchUp');
  expect(group.rect).toBeUndefined();
  expect(texts(group)).toContain('not entered');
});

test('the page is well-formed XHTML with no external asset, the outcome, the version and a windows table', () => {
  const html = renderReport(report());
  expect(XMLValidator.validate(html)).toBe(true);
  expect(html).not.toMatch(/<script|<link|src=|href=|url\(/i);
  expect(html).toContain("default-src 'none'");
  const doc = parser.parse(html);
  const body = texts(doc.html[0].body).join('\n');
  expect(body).toContain('2222222222222222222222222222222222222222');
  expect(body).toContain('Failed');
  const rows = doc.html[0].body[0].table.find((t: Record<string, string>) => t['@class'] === 'windows').tbody[0].tr;
  expect(rows.map((r: Record<string, string>) => r['@data-state'])).toEqual([...TIMELINE_STATES]);
  // schedulerPaused: 5+2*60=125 s to 50+2*70=190 s: 65 s.
  expect(texts(rows[2]).join(' ')).toContain('1m 05s');
  expect(texts(rows[2]).join(' ')).toContain('65000 ms');
});

const HOSTILE = `</text><script>alert("x")</script><rect onload='y'/>&amp;`;

test('a hostile stage name, note, pipeline and version stay text', () => {
  const hostile = report({
    pipeline: HOSTILE,
    version: HOSTILE,
    stages: [{ name: HOSTILE, startMs: s(0), endMs: s(10), outcome: 'Succeeded' }],
    states: [{ state: 'maintenance', startMs: s(1), endMs: s(9), startNote: HOSTILE, endNote: HOSTILE }],
    windows: { maintenance: 8000 },
  });
  const html = renderReport(hostile);
  expect(XMLValidator.validate(html)).toBe(true);
  expect(html).not.toContain('<script');
  expect(html).not.toContain('<rect onload');
  const all = texts(parser.parse(html)).join('\n');
  // The reader sees the name exactly as it was, entities and all.
  expect(all).toContain(HOSTILE);
  expect(escapeXml(`<a href="x">'&`)).toBe('&lt;a href=&quot;x&quot;&gt;&apos;&amp;');
});

test('the terminal timeline: a row per stage and per state, bars scaled to the width, durations', () => {
  const text = renderTerminal(report(), 100);
  const lines = text.split('\n');
  expect(lines.every((l) => [...l].length <= 100)).toBe(true);
  const rowOf = (name: string) => lines.find((l) => l.startsWith(name.slice(0, 20)))!;
  for (const [name, a, b] of STAGES) expect(rowOf(name)).toContain(formatDuration((b - a) * 1000));
  for (const state of TIMELINE_STATES) expect(rowOf(state)).toBeDefined();
  expect(rowOf('Deploy_Spryker_services')).toContain('Failed');
  expect(rowOf('maintenance')).toContain('(open)');
  // Run_install (220-360 s of 540) starts and ends where its times fall, to a cell.
  const bar = rowOf('Run_install').split('│')[1];
  const cells = bar.length;
  expect(Math.abs(bar.indexOf('█') - (220 / 540) * cells)).toBeLessThanOrEqual(1);
  expect(Math.abs(bar.lastIndexOf('█') + 1 - (360 / 540) * cells)).toBeLessThanOrEqual(1);
  // A narrower terminal gets shorter bars, not wrapped lines.
  expect(renderTerminal(report(), 60).split('\n').every((l) => [...l].length <= 60)).toBe(true);
});

test('terminal output never carries a control character from the data', () => {
  const text = renderTerminal(report({ stages: [{ name: 'evil\u001b[2Jstage', startMs: s(0), endMs: s(1), outcome: 'Succeeded' }] }), 80);
  expect(text).not.toContain('\u001b');
  expect(text).toContain('evil?[2Jstage');
});

test('formatDuration', () => {
  expect([850, 12_000, 185_000, 3_720_000].map(formatDuration)).toEqual(['850 ms', '12s', '3m 05s', '1h 02m']);
});
