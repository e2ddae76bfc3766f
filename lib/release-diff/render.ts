/** The release diff for people: a short summary for the approval, and the full report as HTML. */
import { describeChange } from './rollback';
import type { FileChange, ReleaseDiff } from './types';

/**
 * Length of the summary in the approval's comments. An action configuration value is at most
 * 1000 characters after variables resolve; the approval text around the summary takes the rest.
 */
export const SUMMARY_LIMIT = 500;

const short = (v: string) => (/^[0-9a-f]{40,64}$/.test(v) ? v.slice(0, 12) : v);

function names(items: string[], budget: number): string {
  const out: string[] = [];
  let used = 0;
  for (const [i, item] of items.entries()) {
    if (used + item.length > budget && out.length) {
      out.push(`+${items.length - i} more`);
      break;
    }
    out.push(item);
    used += item.length + 2;
  }
  return out.join(', ');
}

/** One paragraph, at most `limit` characters: the risk first, then what the release touches. */
export function summarize(diff: ReleaseDiff, limit = SUMMARY_LIMIT): string {
  // What Build_and_Prepare will do: the images to build by name, those reused counted.
  const images = diff.images && `images: build ${diff.images.build.length}${diff.images.build.length ? ` (${names(diff.images.build, 60)})` : ''}, reuse ${diff.images.reuse.length}`;
  if (diff.direction === 'first') return [`First deployment of ${short(diff.to)}: no deployed version to compare.`, images].filter(Boolean).join(' · ');
  if (diff.direction === 'same') return [`Redeploys ${short(diff.to)}, the deployed version: nothing changes.`, images].filter(Boolean).join(' · ');
  const parts: string[] = [];
  if (diff.direction === 'rollback') parts.push(`ROLLBACK to ${short(diff.to)}: migrations are not undone`);
  const schema =
    diff.schemaRisk === 'breaking'
      ? `Schema BREAKING: ${names(diff.breaking.map((c) => `${c.table}${c.column ? `.${c.column}` : ''} ${c.change.split(' (')[0]}`), 160)}`
      : diff.schemaRisk === 'additive'
        ? `Schema additive: ${names(diff.additive.map((c) => `${c.table}${c.column ? `.${c.column}` : ''}`), 100)}`
        : 'Schema: no change';
  parts.push(schema);
  // Before the groups: the summary is cut at its limit, and the build's work matters to the approver.
  if (images) parts.push(images);
  const g = diff.groups;
  if (diff.history) parts.push(`${diff.commits.length} commit(s)`);
  if (g.deployFile.length) parts.push(`deploy file: ${names([...new Set(g.deployFile.flatMap((d) => [...d.sections, ...d.hooks]))], 60) || g.deployFile.map((d) => d.path).join(', ')}`);
  if (diff.broker.length) parts.push(`RabbitMQ: ${names(diff.broker.map((b) => b.section), 50)}`);
  if (g.recipes.length) parts.push(`recipes: ${g.recipes.length}`);
  if (g.scheduler.length) parts.push(`scheduler jobs changed`);
  if (g.composer.length) {
    const majors = g.composer.filter((c) => c.sprykerMajor).map((c) => `${c.name} ${c.from}→${c.to}`);
    parts.push(`composer: ${g.composer.length} package(s)${majors.length ? `, MAJOR: ${names(majors, 80)}` : ''}`);
  }
  if (g.frontend.length) parts.push(`frontend: ${g.frontend.length} file(s)`);
  parts.push(`other files: ${diff.other.length}`);
  const text = parts.join(' · ');
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function list(title: string, rows: string[]): string {
  if (!rows.length) return '';
  return `<h2>${escape(title)} (${rows.length})</h2>\n<ul>\n${rows.map((r) => `<li>${r}</li>`).join('\n')}\n</ul>\n`;
}

const file = (c: FileChange) => `<code>${escape(c.path)}</code> ${c.status}`;

export interface ReportContext {
  readonly title: string;
  /** The rollback guard's words, shown on top. @default - none */
  readonly notice?: string;
}

/** The full report: a self-contained HTML page (no scripts, no external resources). */
export function renderHtml(diff: ReleaseDiff, context: ReportContext): string {
  const g = diff.groups;
  const risk = { none: 'no schema change', additive: 'additive (safe for the running code)', breaking: 'BREAKING for the running code' }[diff.schemaRisk];
  const body = [
    `<h1>${escape(context.title)}</h1>`,
    `<p>From <code>${escape(diff.from)}</code> to <code>${escape(diff.to)}</code> (${diff.direction}${diff.history ? '' : ', compared from the two source archives: no commits'}).</p>`,
    context.notice ? `<p class="notice">${escape(context.notice)}</p>` : '',
    `<p>Summary: ${escape(summarize(diff, 2000))}</p>`,
    `<h2>Database schema: ${risk}</h2>`,
    list('Breaking schema changes', diff.breaking.map((c) => escape(describeChange(c)))),
    list('Additive schema changes', diff.additive.map((c) => escape(describeChange(c)))),
    list('Commits', diff.commits.map((c) => `<code>${escape(c.hash.slice(0, 12))}</code> ${escape(c.date)} ${escape(c.author)}: ${escape(c.subject)}`)),
    list('Propel schema files', g.schema.map(file)),
    list('Deploy files and hooks', g.deployFile.map((d) => `${file(d)}${d.sections.length ? `: sections ${escape(d.sections.join(', '))}` : ''}${d.hooks.length ? `; hooks ${escape(d.hooks.join(', '))}` : ''}`)),
    list('RabbitMQ desired state', diff.broker.map((b) => `<code>${escape(b.path)}</code> ${escape(b.section)}`)),
    list('Install recipes', g.recipes.map(file)),
    list('Scheduler jobs', g.scheduler.map(file)),
    list(
      'composer.lock packages',
      g.composer.map((c) => `${c.sprykerMajor ? '<strong>MAJOR</strong> ' : ''}<code>${escape(c.name)}</code> ${escape(c.from ?? '(new)')} → ${escape(c.to ?? '(removed)')}`),
    ),
    list('Frontend sources', g.frontend.map(file)),
    diff.images ? list('Images to build (no image of this version in ECR yet)', diff.images.build.map((i) => `<code>${escape(i)}</code>`)) : '',
    diff.images ? list('Images reused (already in ECR for this version)', diff.images.reuse.map((i) => `<code>${escape(i)}</code>`)) : '',
    list('Other files', diff.other.map(file)),
  ].join('\n');
  return page(context.title, body);
}

/** The report page when no diff could be made: the reason. */
export function renderUnavailable(title: string, reason: string): string {
  return page(title, `<h1>${escape(title)}</h1>\n<p class="notice">${escape(reason)}</p>`);
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:70em;margin:2em auto;padding:0 1em}code{font-size:.9em}.notice{background:#fde7e7;padding:.5em;border-left:4px solid #c00}</style>
</head><body>
${body}
</body></html>
`;
}
