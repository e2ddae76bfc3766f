/**
 * The deployment report for people (issue 16): an HTML page with an inline SVG timeline (stages as
 * bars on a time axis, the risky states as coloured bands, durations labelled), and the same
 * timeline as text for a terminal. Self-contained: no script, no external asset, so the page works
 * from S3 and from a file. Every name, note and version is data and is escaped.
 */
import { TIMELINE_STATES, type TimelineSpan, type TimelineState } from '../contracts/timeline';
import type { CutoverSection, DeploymentReport, ReportStage, StageOutcome } from '../contracts/report';

/** What each state means for the shop, for the legend and the windows table. */
export const STATE_DESCRIPTIONS: Record<TimelineState, string> = {
  rabbitmqReconfiguring: 'RabbitMQ vhosts, users or permissions being changed',
  preDeployHook: 'the pre-deploy hook running (then scheduler:suspend)',
  schedulerPaused: 'the scheduler paused: no cron jobs run',
  dbAheadOfServices: 'the database migrated to V2 while services still run V1',
  syncCatchUp: 'publish and sync queues draining: Redis and search catching up',
  mixedVersions: 'V1 and V2 services serving side by side',
  maintenance: 'the 503 maintenance page on',
};

/** One colour per state, distinguishable side by side (and in the legend). */
export const STATE_COLOURS: Record<TimelineState, string> = {
  rabbitmqReconfiguring: '#8e44ad',
  preDeployHook: '#2980b9',
  schedulerPaused: '#f39c12',
  dbAheadOfServices: '#c0392b',
  syncCatchUp: '#16a085',
  mixedVersions: '#d35400',
  maintenance: '#7f8c8d',
};

const OUTCOME_COLOURS: Record<StageOutcome, string> = {
  Succeeded: '#27ae60',
  Failed: '#e74c3c',
  InProgress: '#3498db',
  Stopped: '#95a5a6',
  Skipped: '#d5dbdb',
};

/** XML/HTML text and attribute escaping: everything in the report is data. */
const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
export const escapeXml = (s: string): string => s.replace(/[&<>"']/g, (c) => ENTITIES[c]);

/** `1h 02m`, `3m 05s`, `12s`, `850 ms`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

/** Offset from the run's start, `+mm:ss` (`+h:mm:ss` past an hour). */
function offset(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const mmss = `${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
  return s >= 3600 ? `+${Math.floor(s / 3600)}:${mmss}` : `+${mmss}`;
}

/** Seconds with one decimal: the shift spread is a matter of seconds. */
const seconds1 = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/**
 * The cutover section as labelled facts (label, value), in reading order: the mode, the
 * mixed-version window, and for `together` the rolling comparison (docs/cutover.md). Plain text:
 * every renderer escapes (or cleans) them itself.
 */
export function cutoverFacts(cutover: CutoverSection, report: Pick<DeploymentReport, 'windows'>): [string, string][] {
  if (cutover.mode === 'rolling') {
    const mixed = report.windows.mixedVersions;
    return [
      ['cutover', 'rolling: each service switched on its own schedule'],
      ['V1 and V2 mixed (mixedVersions)', mixed === undefined ? 'not measured' : formatDuration(mixed)],
    ];
  }
  const facts: [string, string][] = [
    ['cutover', `together: ${cutover.shifted} of ${cutover.services} services shifted production traffic${cutover.arrived < cutover.services ? ` (${cutover.arrived} arrived at the barrier)` : ''}`],
    ['V1 and V2 mixed (shift spread)', cutover.shiftSpreadMs === undefined ? 'none: no service shifted' : `${seconds1(cutover.shiftSpreadMs)} (first to last production shift)`],
  ];
  facts.push([
    'rolling, this run (each shifting when ready)',
    cutover.arrivalSpreadMs === undefined ? 'not known: not every service got ready' : `at least ${formatDuration(cutover.arrivalSpreadMs)} (first to last service ready at the barrier)`,
  ]);
  const last = cutover.lastRolling;
  facts.push(['rolling, last rolling run', last ? `${formatDuration(last.mixedVersionsMs)} (mixedVersions of ${last.pipeline} execution ${last.executionId}, ${new Date(last.endMs).toISOString()})` : 'none found in the reports bucket']);
  return facts;
}

/** One line for a summary, a notification or a terminal: `cutover together: …; rolling: …`. */
export function cutoverLine(cutover: CutoverSection, report: Pick<DeploymentReport, 'windows'>): string {
  if (cutover.mode === 'rolling') {
    const mixed = report.windows.mixedVersions;
    return `cutover rolling: V1 and V2 mixed ${mixed === undefined ? '(not measured)' : `for ${formatDuration(mixed)}`}`;
  }
  const shifted = cutover.shiftSpreadMs === undefined ? `no service of ${cutover.services} shifted` : `${cutover.shifted}/${cutover.services} services shifted within ${seconds1(cutover.shiftSpreadMs)}`;
  const rolling = [
    cutover.arrivalSpreadMs !== undefined ? `≥ ${formatDuration(cutover.arrivalSpreadMs)} had each shifted when ready` : undefined,
    cutover.lastRolling ? `last rolling run ${formatDuration(cutover.lastRolling.mixedVersionsMs)}` : undefined,
  ].filter(Boolean);
  return `cutover together: ${shifted}${rolling.length ? `; rolling: ${rolling.join(', ')}` : ''}`;
}

/** A tick step that gives 4 to 10 ticks over the span. */
function tickStep(spanMs: number): number {
  const steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200].map((s) => s * 1000);
  return steps.find((s) => spanMs / s <= 10) ?? Math.ceil(spanMs / 10 / 3_600_000) * 3_600_000;
}

/** The time span the picture covers: the report's, widened to anything drawn outside it. */
function extent(report: DeploymentReport): { start: number; end: number } {
  const starts = [report.startMs, ...report.stages.map((s) => s.startMs), ...report.states.map((s) => s.startMs)];
  const ends = [report.endMs, ...report.stages.map((s) => s.endMs), ...report.states.map((s) => s.endMs ?? report.endMs)];
  const start = Math.min(...starts);
  return { start, end: Math.max(start + 1000, ...ends) };
}

const spanEnd = (span: TimelineSpan, report: DeploymentReport) => span.endMs ?? report.endMs;

// Wide enough for the longest SCCOS stage name (Configure_RabbitMQ_Vhosts_and_Permissions) at 12px.
const LABEL_W = 290;
const BAR_W = 600;
const RIGHT_W = 110;
const ROW_H = 22;
const WIDTH = LABEL_W + BAR_W + RIGHT_W;

/** The timeline as one SVG element (well-formed XML): stage rows, then one row per state. */
export function renderSvg(report: DeploymentReport): string {
  const { start, end } = extent(report);
  const x = (ms: number) => LABEL_W + ((ms - start) / (end - start)) * BAR_W;
  const w = (a: number, b: number) => Math.max(2, x(b) - x(a));
  const f = (n: number) => n.toFixed(1);
  const out: string[] = [];
  const axisY = 24;
  // Rows: a section title and the stages, a gap, a section title and every state.
  const chartBottom = axisY + 14 + ROW_H * (1 + report.stages.length) + 8 + ROW_H * (1 + TIMELINE_STATES.length);
  let y = axisY + 14;

  const step = tickStep(end - start);
  for (let t = 0; t <= end - start; t += step) {
    out.push(`<line x1="${f(x(start + t))}" y1="${axisY}" x2="${f(x(start + t))}" y2="${chartBottom}" stroke="#e5e8e8"/>`);
    out.push(`<text x="${f(x(start + t))}" y="${axisY - 6}" text-anchor="middle" class="tick">${offset(t)}</text>`);
  }

  out.push(`<text x="4" y="${y + 14}" class="section">Stages</text>`);
  y += ROW_H;
  for (const stage of report.stages) {
    const label = `${stage.name}: ${stage.outcome}, ${formatDuration(stage.endMs - stage.startMs)}`;
    out.push(
      `<g class="stage"><title>${escapeXml(label)}</title>`,
      `<text x="4" y="${y + 15}">${escapeXml(stage.name)}</text>`,
      `<rect x="${f(x(stage.startMs))}" y="${y + 3}" width="${f(w(stage.startMs, stage.endMs))}" height="${ROW_H - 6}" rx="3" fill="${OUTCOME_COLOURS[stage.outcome]}"/>`,
      `<text x="${LABEL_W + BAR_W + 8}" y="${y + 15}">${escapeXml(formatDuration(stage.endMs - stage.startMs))}${stage.outcome === 'Succeeded' ? '' : ` ${stage.outcome}`}</text></g>`,
    );
    y += ROW_H;
  }

  y += 8;
  out.push(`<text x="4" y="${y + 14}" class="section">Risky states</text>`);
  y += ROW_H;
  const byState = new Map(report.states.map((s) => [s.state, s]));
  for (const state of TIMELINE_STATES) {
    const span = byState.get(state);
    out.push(`<g class="state" data-state="${state}"><title>${escapeXml(`${state}: ${STATE_DESCRIPTIONS[state]}`)}</title>`, `<text x="4" y="${y + 15}">${state}</text>`);
    if (span) {
      const until = spanEnd(span, report);
      // The band across the whole picture shows what the stages did during the state.
      out.push(`<rect x="${f(x(span.startMs))}" y="${axisY}" width="${f(w(span.startMs, until))}" height="${chartBottom - axisY}" fill="${STATE_COLOURS[state]}" opacity="0.07"/>`);
      out.push(
        `<rect x="${f(x(span.startMs))}" y="${y + 3}" width="${f(w(span.startMs, until))}" height="${ROW_H - 6}" rx="3" fill="${STATE_COLOURS[state]}"${span.endMs === undefined ? ' stroke="#2c3e50" stroke-dasharray="4 2"' : ''}/>`,
        `<text x="${LABEL_W + BAR_W + 8}" y="${y + 15}">${formatDuration(until - span.startMs)}${span.endMs === undefined ? ' (open)' : ''}</text>`,
      );
    } else {
      out.push(`<text x="${LABEL_W + 4}" y="${y + 15}" class="none">not entered</text>`);
    }
    out.push('</g>');
    y += ROW_H;
  }

  y += 12;
  const legend = [...TIMELINE_STATES.map((s) => [s, STATE_COLOURS[s]] as const), ...(['Succeeded', 'Failed', 'InProgress', 'Stopped', 'Skipped'] as const).map((o) => [`stage ${o}`, OUTCOME_COLOURS[o]] as const)];
  out.push(`<g class="legend">`);
  legend.forEach(([name, colour], i) => {
    const lx = 4 + (i % 4) * 250;
    const ly = y + Math.floor(i / 4) * 18;
    out.push(`<rect x="${lx}" y="${ly}" width="12" height="12" fill="${colour}"/><text x="${lx + 18}" y="${ly + 11}">${escapeXml(name)}</text>`);
  });
  out.push('</g>');
  y += Math.ceil(legend.length / 4) * 18 + 4;
  if (report.cutover) {
    y += 6;
    out.push(`<text x="4" y="${y + 12}" class="cutover">${escapeXml(cutoverLine(report.cutover, report))}</text>`);
    y += 20;
  }

  const title = `Deployment ${report.executionId} of ${report.pipeline}: ${report.outcome}`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${y}" viewBox="0 0 ${WIDTH} ${y}" role="img" aria-label="${escapeXml(title)}">`,
    `<title>${escapeXml(title)}</title>`,
    '<style>text{font:12px sans-serif;fill:#2c3e50}.tick{font-size:10px;fill:#7f8c8d}.section{font-weight:bold}.none{fill:#aab7b8;font-style:italic}.cutover{font-weight:bold}</style>',
    ...out,
    '</svg>',
  ].join('\n');
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The windows table: one row per state of the run, in timeline order. */
function windowsTable(report: DeploymentReport): string {
  const rows = TIMELINE_STATES.map((state) => {
    const span = report.states.find((s) => s.state === state);
    const window = report.windows[state];
    const notes = span ? [span.startNote, span.endNote].filter((n): n is string => !!n).join('; ') : '';
    return [
      `<tr data-state="${state}">`,
      `<td><span class="swatch" style="background:${STATE_COLOURS[state]}"></span><code>${state}</code></td>`,
      `<td>${escapeXml(STATE_DESCRIPTIONS[state])}</td>`,
      `<td>${span ? offset(span.startMs - report.startMs) : '—'}</td>`,
      `<td>${span ? (span.endMs === undefined ? 'open' : offset(span.endMs - report.startMs)) : '—'}</td>`,
      `<td>${window === undefined ? 'not entered' : `${formatDuration(window)} <small>(${window} ms)</small>`}</td>`,
      `<td>${escapeXml(notes)}</td>`,
      '</tr>',
    ].join('');
  });
  return `<table class="windows"><thead><tr><th>State</th><th>Meaning</th><th>Began</th><th>Ended</th><th>Window</th><th>Notes</th></tr></thead>\n<tbody>\n${rows.join('\n')}\n</tbody></table>`;
}

/** The cutover: the mixed-version window beside what rolling took (docs/cutover.md). */
function cutoverTable(cutover: CutoverSection, report: DeploymentReport): string {
  const rows = cutoverFacts(cutover, report).map(([label, value]) => `<tr><th>${escapeXml(label)}</th><td>${escapeXml(value)}</td></tr>`);
  return `<table class="cutover" data-mode="${cutover.mode}"><tbody>\n${rows.join('\n')}\n</tbody></table>`;
}

function stagesTable(stages: readonly ReportStage[], startMs: number): string {
  const rows = stages.map(
    (s) => `<tr><td>${escapeXml(s.name)}</td><td class="${s.outcome}">${s.outcome}</td><td>${offset(s.startMs - startMs)}</td><td>${formatDuration(s.endMs - s.startMs)}</td></tr>`,
  );
  return `<table><thead><tr><th>Stage</th><th>Outcome</th><th>Began</th><th>Took</th></tr></thead>\n<tbody>\n${rows.join('\n')}\n</tbody></table>`;
}

/**
 * The report page. Well-formed XHTML (the SVG inline), a Content-Security-Policy that allows no
 * fetch at all: what the page shows is all in the file.
 */
export function renderReport(report: DeploymentReport): string {
  const title = `Deployment of ${report.version ? report.version.slice(0, 12) : 'an unknown version'}: ${report.outcome}`;
  return [
    '<!DOCTYPE html>',
    '<html xmlns="http://www.w3.org/1999/xhtml" lang="en">',
    '<head>',
    '<meta charset="utf-8"/>',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'"/>`,
    `<title>${escapeXml(title)}</title>`,
    '<style>body{font:14px sans-serif;color:#2c3e50;margin:2em}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #d5dbdb;padding:4px 8px;text-align:left}' +
      '.swatch{display:inline-block;width:10px;height:10px;margin-right:6px}.Succeeded{color:#1e8449}.Failed{color:#c0392b;font-weight:bold}.outcome{font-weight:bold}</style>',
    '</head>',
    '<body>',
    `<h1>${escapeXml(title)}</h1>`,
    `<p>Pipeline <code>${escapeXml(report.pipeline)}</code>, execution <code>${escapeXml(report.executionId)}</code>` +
      `${report.version ? `, version <code>${escapeXml(report.version)}</code>` : ''}: <span class="outcome ${report.outcome}">${report.outcome}</span>, ` +
      `${escapeXml(iso(report.startMs))} to ${escapeXml(iso(report.endMs))} (${formatDuration(report.endMs - report.startMs)}).</p>`,
    renderSvg(report),
    '<h2>Windows</h2>',
    windowsTable(report),
    ...(report.cutover ? ['<h2>Cutover</h2>', cutoverTable(report.cutover, report)] : []),
    '<h2>Stages</h2>',
    stagesTable(report.stages, report.startMs),
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/** Keeps a label in its column: cut with an ellipsis, padded. */
const fit = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s.padEnd(n));

/**
 * The timeline as text for a terminal `width` columns wide: a time axis, one row per stage and
 * per state, bars scaled to the run, durations on the right. Names are printed as they are, with
 * control characters replaced (a terminal escape in a stage name must not reach the terminal).
 */
export function renderTerminal(report: DeploymentReport, width = 100): string {
  const clean = (s: string) => s.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  const { start, end } = extent(report);
  const names = [...report.stages.map((s) => clean(s.name)), ...TIMELINE_STATES];
  const labelW = Math.min(32, Math.floor(width * 0.35), Math.max(...names.map((n) => n.length)));
  const rightW = 20;
  const barW = Math.max(10, width - labelW - rightW - 4);
  const col = (ms: number) => Math.min(barW - 1, Math.floor(((ms - start) / (end - start)) * barW));
  const bar = (from: number, to: number, ch: string) => {
    const a = col(from);
    const b = Math.max(a + 1, Math.ceil(((to - start) / (end - start)) * barW));
    return ' '.repeat(a) + ch.repeat(Math.min(barW, b) - a) + ' '.repeat(barW - Math.min(barW, b));
  };
  const row = (label: string, cells: string, right: string) => `${fit(label, labelW)} │${cells}│ ${right}`.trimEnd();

  const axis = Array.from({ length: barW }, () => ' ');
  const step = tickStep(end - start);
  for (let t = 0; t <= end - start; t += step) {
    const label = offset(t).slice(1);
    const c = col(start + t);
    if (c + label.length <= barW && axis.slice(Math.max(0, c - 1), c + label.length + 1).every((a) => a === ' ')) label.split('').forEach((ch, i) => (axis[c + i] = ch));
  }
  const header = clean(`${report.pipeline} · execution ${report.executionId}${report.version ? ` · version ${report.version.slice(0, 12)}` : ''} · ${report.outcome} · ${formatDuration(report.endMs - report.startMs)}`);
  const lines = [fit(header, width).trimEnd(), `${' '.repeat(labelW)}  ${axis.join('').trimEnd()}`];
  for (const s of report.stages) {
    const ch = s.outcome === 'Failed' ? '▓' : s.outcome === 'Skipped' ? '·' : '█';
    lines.push(row(clean(s.name), bar(s.startMs, s.endMs, ch), `${formatDuration(s.endMs - s.startMs).padStart(8)} ${s.outcome === 'Succeeded' ? '' : s.outcome}`));
  }
  lines.push(`${'─'.repeat(labelW)} ┼${'─'.repeat(barW)}┼ risky states`);
  const byState = new Map(report.states.map((s) => [s.state, s]));
  for (const state of TIMELINE_STATES) {
    const span = byState.get(state);
    if (!span) {
      lines.push(row(state, ' '.repeat(barW), `${'—'.padStart(8)} not entered`));
      continue;
    }
    const until = spanEnd(span, report);
    lines.push(row(state, bar(span.startMs, until, '░'), `${formatDuration(until - span.startMs).padStart(8)}${span.endMs === undefined ? ' (open)' : ''}`));
  }
  if (report.cutover) lines.push(clean(cutoverLine(report.cutover, report)));
  return lines.join('\n');
}
