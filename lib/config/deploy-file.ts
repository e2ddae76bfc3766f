/**
 * Reads a project's docker-sdk deploy file (`deploy.(project)-(environment).yml`) into the parts
 * of SprykerPipelineProps it describes, and runs the preflight pass over the result.
 *
 * Imports, dynamic parameters and merging follow docker-sdk's deploy-file-generator: an import is
 * looked up on the project layer (`config/deploy-templates`) then the base layer (docker-sdk's
 * templates); `%name%` placeholders take the import's parameters; the importing file wins over
 * what it imports (PHP's array_replace_recursive); a service set to `~` is removed.
 */
import * as fs from 'fs';
import * as path from 'path';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { isMap as isYamlMap, isScalar, LineCounter, parseDocument, visit, type Document, type YAMLError } from 'yaml';
import type { LoadProblem, DeployFileStore, DeployFileRegion, DeployFileApplication, DeployFileGroup, DeployFileConfig, DeployFileVhost, DeployFileBrokerUser } from './deploy-file-model';
import { runPreflight } from './preflight';
import { hookApplication, PreflightError, STATIC_APPLICATION, type DerivedService, type FileLocation, type PreflightContext, type PreflightFinding } from './preflight/finding';
import { HOOK_VARIABLES, type BrokerUser, type HookKey, type SprykerBrokerProps, type SprykerHooks, type SprykerPipelineProps, type SprykerServiceProps } from './types';

/** The frontend service's application name and image key, as docker-sdk's export prints it. */
export const FRONTEND_APPLICATION = 'frontend';

export type { LoadProblemKind, LoadProblem, DeployFileStore, DeployFileRegion, DeployFileEndpoint, DeployFileApplication, DeployFileGroup, DeployFileConfig, DeployFileVhost, DeployFileBrokerUser } from './deploy-file-model';

/** SCCOS names deploy files `deploy.(project)-(environment).yml`; the project name has no hyphen. */
export const DEPLOY_FILE_NAME = /^deploy\.([a-z0-9]+)-([a-z0-9][a-z0-9-]*)\.yml$/;

export interface DeployFileReadOptions {
  /**
   * Template layers searched for `imports`, in order. An import found on an earlier layer wins;
   * an import's own imports are looked up on its layer.
   * @default [`{dir}/config/deploy-templates`, `{dir}/docker/generator/deploy-file-generator/templates`] (docker-sdk's project and base layers, `{dir}` the deploy file's directory)
   */
  readonly templateDirs?: string[];
}

type YamlMap = Record<string, unknown>;
const isMap = (v: unknown): v is YamlMap => typeof v === 'object' && v !== null && !Array.isArray(v);
const mapOf = (v: unknown): YamlMap => (isMap(v) ? v : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' || typeof v === 'number' ? String(v) : undefined);
const displayPath = (file: string) => path.relative(process.cwd(), file) || file;

interface ParsedFile {
  readonly file: string;
  readonly doc: Document;
  readonly lines: LineCounter;
}

/** Reads a deploy file and its imports. Never throws for the file's content: problems land in `loadProblems`. */
export function readDeployFile(file: string, options: DeployFileReadOptions = {}): DeployFileConfig {
  const main = path.resolve(file);
  const dir = path.dirname(main);
  const layers = options.templateDirs?.map((d) => path.resolve(dir, d)) ?? [
    path.join(dir, 'config', 'deploy-templates'),
    path.join(dir, 'docker', 'generator', 'deploy-file-generator', 'templates'),
  ];
  const parsed: ParsedFile[] = [];
  const problems: LoadProblem[] = [];

  const load = (current: string, params: YamlMap, chain: string[], layer: string | undefined): YamlMap => {
    const file = parseFile(current, problems);
    if (!file) return {};
    parsed.push(file);
    let js: unknown;
    try {
      js = file.doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (e) {
      // yaml throws a ReferenceError when aliases expand past the limit (a "billion laughs" file).
      problems.push({
        kind: 'alias-bomb',
        message: `${displayPath(current)}: aliases expand to more than ${MAX_ALIAS_COUNT} copies (${(e as Error).name}); the file is not read further`,
        location: { file: displayPath(current), line: 1, col: 1 },
      });
      return {};
    }
    const unknownFilters = new Set<string>();
    const { imports, ...content } = mapOf(substitute(js, params, (filter) => unknownFilters.add(filter.slice(0, 40))));
    for (const filter of unknownFilters) {
      problems.push({ kind: 'placeholder-filter', message: `${displayPath(current)}: placeholder filter '${filter}' is not one of docker-sdk's (${Object.keys(PLACEHOLDER_FILTERS).join(', ')})` });
    }
    const resolved: { target: string; layer: string; params: YamlMap }[] = [];
    for (const entry of importEntries(imports)) {
      const candidates = layer ? [layer] : layers;
      const where = locateIn(file, ['imports', entry.name]);
      const targets = candidates.map((l) => ({ layer: l, target: path.resolve(l, entry.template) }));
      const outside = targets.filter((t) => !insideAny(t.target, [t.layer, dir]));
      if (path.isAbsolute(entry.template) || outside.length) {
        problems.push({
          kind: 'import-outside',
          message: `import '${entry.name}' of ${displayPath(current)}: template '${entry.template}' leaves the project and the template layers; it is not read`,
          location: where,
        });
        continue;
      }
      // docker-sdk imports a top-level template from every layer that has it, the project layer first.
      const found = targets.filter((t) => fs.existsSync(t.target));
      if (!found.length) {
        // docker-sdk skips a top-level import that no layer has, and fails on a missing nested one.
        problems.push({
          kind: layer ? 'import-missing' : 'import-skipped',
          message: `import '${entry.name}' of ${displayPath(current)}: '${entry.template}' is on no template layer (${candidates.map(displayPath).join(', ')})${layer ? '' : '; skipped, as docker-sdk skips it'}`,
          location: where,
        });
        continue;
      }
      for (const { target, layer: l } of found) {
        if (chain.includes(target)) {
          problems.push({ kind: 'import-cycle', message: `${[...chain, target].map(displayPath).join(' imports ')}: a deploy file imports itself` });
          continue;
        }
        resolved.push({ target, layer: l, params: { ...params, ...entry.parameters } });
      }
    }
    // docker-sdk merges the project layer's imports before the base layer's; what is merged first wins.
    resolved.sort((a, b) => layers.indexOf(a.layer) - layers.indexOf(b.layer));
    let merged: unknown = content;
    for (const r of resolved) merged = replaceRecursive(load(r.target, r.params, [...chain, r.target], r.layer), merged);
    return mapOf(merged);
  };

  const data = load(main, {}, [main], undefined);
  const services = mapOf(data.services);
  // A service set to `~` removes it (docker-sdk's ServicesCleaner).
  for (const [name, value] of Object.entries(services)) if (value === null) delete services[name];

  const fileName = path.basename(main);
  const nameMatch = DEPLOY_FILE_NAME.exec(fileName);
  return {
    file: main,
    fileName,
    project: nameMatch?.[1],
    environment: nameMatch?.[2],
    files: [...new Set(parsed.map((p) => p.file))],
    projectRoot: sprykerProjectRoot(dir),
    data,
    ...extract(data),
    loadProblems: problems,
    locate: (keyPath) => {
      for (let n = keyPath.length; n > 0; n--) {
        for (const p of parsed) {
          const location = locateIn(p, keyPath.slice(0, n));
          if (location) return location;
        }
      }
      return undefined;
    },
  };
}

/** Alias expansions a file may make: real deploy files use a few dozen, a "billion laughs" file billions. */
export const MAX_ALIAS_COUNT = 1000;

/** docker-sdk's placeholder filters (`%name|upper%`), from deploy-file-generator's ParameterFilter. */
const PLACEHOLDER_FILTERS: Record<string, (v: string) => string> = { upper: (v) => v.toUpperCase(), lower: (v) => v.toLowerCase() };

const inside = (file: string, dir: string) => {
  const rel = path.relative(dir, file);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
};
const real = (p: string) => {
  try {
    return fs.realpathSync(p);
  } catch {
    return p;
  }
};
/** Whether `file` stays inside one of `dirs`, also after symbolic links are followed. */
function insideAny(file: string, dirs: string[]): boolean {
  return dirs.some((d) => inside(file, d) && inside(real(file), real(d)));
}

/**
 * Reads and parses one YAML file; its problems land in `problems`. Only UTF-8 is read, as
 * docker-sdk's Symfony parser reads it (a UTF-8 byte order mark is dropped).
 */
function parseFile(file: string, problems: LoadProblem[]): ParsedFile | undefined {
  const where = { file: displayPath(file), line: 1, col: 1 };
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    problems.push({ kind: 'unreadable', message: `cannot read ${displayPath(file)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
    return undefined;
  }
  let text: string;
  try {
    // A NUL byte is valid UTF-8 but no YAML text has one: it is UTF-16 (or binary).
    if (bytes.includes(0)) throw new Error('NUL');
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const utf16 = (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff) || bytes.includes(0);
    problems.push({ kind: 'not-utf8', message: `${displayPath(file)} is not UTF-8${utf16 ? ' (it looks like UTF-16)' : ''}: docker-sdk reads UTF-8 only`, location: where });
    return undefined;
  }
  let lines = new LineCounter();
  const options = { merge: true, prettyErrors: false, uniqueKeys: false } as const;
  let doc = parseDocument(text, { ...options, lineCounter: lines });
  if (doc.errors.length) {
    // symfony/yaml and PyYAML accept a quoted value whose last line sits at its key's indentation; yaml does not.
    const lenient = indentQuotedContinuations(text);
    const lenientLines = new LineCounter();
    const lenientDoc = lenient === text ? undefined : parseDocument(lenient, { ...options, lineCounter: lenientLines });
    // Only when that was the whole problem: otherwise the file's own errors are the ones to show.
    if (lenientDoc && !lenientDoc.errors.length) [doc, lines] = [lenientDoc, lenientLines];
  }
  const errors = doc.errors.map((err) => ({ kind: 'syntax' as const, message: yamlErrorMessage(err), location: { file: displayPath(file), ...lines.linePos(err.pos[0]) } }));
  const duplicates = errors.length ? [] : duplicateKeys(doc).map(({ key, pos }) => ({ kind: 'duplicate-key' as const, message: `key '${key}' appears twice in one map`, location: { file: displayPath(file), ...lines.linePos(pos) } }));
  problems.push(...errors, ...duplicates);
  return errors.length || duplicates.length ? undefined : { file, doc, lines };
}

/** yaml's messages whose interpolations are token types or fixed words, never the file's text. */
const SAFE_YAML_MESSAGES = [
  /^Missing closing ["']quote$/,
  /^(Missing , between|Missing , or : between|Missing space after : in|Unexpected , in|Unexpected empty item in) flow (map|sequence|collection)( items)?$/,
  /^Unexpected [a-z-]+ (token|at node end)$/,
  /^Unsupported token [a-z-]+$/,
  /^Expected a flow scalar value, but found: [a-z-]+$/,
];
/** Every word of yaml's fixed messages (`Implicit keys need to be on a single line`, ...): a message of these words only quotes nothing. */
const YAML_WORDS = new Set(
  'a after alias all allowed an anchor anchors and any at be between block by cannot characters collection column comments compact directives directives-end directives-end/doc-start empty ending followed from header implicit in indicator is item key keys line map mappings marker may missing most must need nested next node not of on one other properties same separated sequence single space specify start starts tabs the to token used value values white with without'.split(' '),
);

/** yaml's message when it quotes nothing of the file, else its code: file, line and column say where. */
function yamlErrorMessage(err: YAMLError): string {
  const first = err.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
  const words = first.toLowerCase().split(/[\s,:]+/).filter(Boolean);
  if (SAFE_YAML_MESSAGES.some((re) => re.test(first)) || words.every((w) => YAML_WORDS.has(w))) return first;
  return `YAML error ${err.code} (the text there is not repeated: it may hold a secret)`;
}

/** Keys that an earlier key of the same map already had: one pass over the document. */
function duplicateKeys(doc: Document): { key: string; pos: number }[] {
  const found: { key: string; pos: number }[] = [];
  visit(doc, {
    Map(_, map) {
      if (!isYamlMap(map)) return;
      const seen = new Set<string>();
      for (const pair of map.items) {
        if (!isScalar(pair.key) || pair.key.value === '<<') continue;
        const id = `${typeof pair.key.value}:${String(pair.key.value)}`;
        if (seen.has(id)) found.push({ key: String(pair.key.value).slice(0, 100), pos: pair.key.range?.[0] ?? 0 });
        seen.add(id);
      }
    },
  });
  return found;
}

/**
 * Indents the continuation lines of a multi-line quoted value that stand at (or left of) the
 * indentation of its key by one more space than the key: symfony/yaml and PyYAML read such
 * values, yaml refuses them. Other text is left as it is (so line numbers stay true).
 */
function indentQuotedContinuations(text: string): string {
  const lines = text.split('\n');
  let open: { quote: string; indent: number } | undefined;
  let block: number | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const indent = /^ */.exec(line)![0].length;
    if (block !== undefined) {
      if (line.trim() === '' || indent > block) continue;
      block = undefined;
    }
    if (open) {
      if (line.trim() !== '' && indent <= open.indent && !/^(---|\.\.\.)/.test(line)) lines[i] = ' '.repeat(open.indent + 1 - indent) + line;
      if (closingQuote(line, 0, open.quote) >= 0) open = undefined;
      continue;
    }
    const start = /^( *)(?:- +)*(?:(?:[^\s#'"{[-][^#:]*|"(?:[^"\\]|\\.)*"|'(?:[^']|'')*')\s*:\s+)?(['"])/.exec(line);
    if (start && (start[0].length > start[1].length + 1 || /^ *- /.test(line))) {
      const q = start[2];
      if (closingQuote(line, start[0].length, q) < 0) open = { quote: q, indent };
      continue;
    }
    if (/:\s*[|>][-+0-9]*\s*(#.*)?$/.test(line)) block = indent;
  }
  return lines.join('\n');
}

/** Index of the quote that closes a `quote` scalar, searching `line` from `from`; -1 when it stays open. */
function closingQuote(line: string, from: number, quote: string): number {
  for (let i = from; i < line.length; i++) {
    if (quote === '"' && line[i] === '\\') i++;
    else if (line[i] === quote) {
      if (quote === "'" && line[i + 1] === "'") i++;
      else return i;
    }
  }
  return -1;
}

/** The nearest directory at or above `dir` that holds a Spryker project (composer.json or config/install/). */
function sprykerProjectRoot(dir: string): string | undefined {
  for (let d = dir; ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, 'composer.json')) || fs.existsSync(path.join(d, 'config', 'install'))) return d;
    if (path.dirname(d) === d) return undefined;
  }
}

function locateIn(p: ParsedFile, keyPath: readonly string[]): FileLocation | undefined {
  const node = p.doc.getIn(keyPath, true) as { range?: [number, number, number] } | undefined;
  if (!node?.range) return undefined;
  const { line, col } = p.lines.linePos(node.range[0]);
  return { file: displayPath(p.file), line, col };
}

/** `imports` as docker-sdk takes it: a list of `{template, parameters}`, or a map name → `{template?, parameters?}` or `~`. */
function importEntries(imports: unknown): { name: string; template: string; parameters: YamlMap }[] {
  const entries: [string, unknown][] = Array.isArray(imports)
    ? imports.map((v, i) => [str(mapOf(v).template) ?? String(i), v])
    : Object.entries(mapOf(imports));
  return entries.map(([name, value]) => ({
    name,
    template: str(mapOf(value).template) ?? name,
    parameters: mapOf(mapOf(value).parameters),
  }));
}

/**
 * docker-sdk's dynamic parameters: `%name%` (or `%name|upper%`, `%name|lower%`) in keys and
 * string values takes the import's parameter; an unknown name stays as it is.
 */
function substitute(value: unknown, params: YamlMap, unknownFilter: (filter: string) => void): unknown {
  if (Object.keys(params).length === 0) return value;
  const text = (s: string) =>
    s.replace(/%([^%\s]+)%/g, (m, spec: string) => {
      const [name, filter] = spec.split('|').map((p) => p.trim());
      if (!(name in params)) return m;
      if (filter === undefined) return String(params[name]);
      const apply = PLACEHOLDER_FILTERS[filter];
      if (!apply) {
        unknownFilter(filter);
        return m;
      }
      return apply(String(params[name]));
    });
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return text(v);
    if (Array.isArray(v)) return v.map(walk);
    if (isMap(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [text(k), walk(x)]));
    return v;
  };
  return walk(value);
}

/** PHP's array_replace_recursive(base, over): `over` wins, maps and lists merge key by key. */
function replaceRecursive(base: unknown, over: unknown): unknown {
  if (isMap(base) && isMap(over)) {
    const out: YamlMap = { ...base };
    for (const [k, v] of Object.entries(over)) out[k] = k in base ? replaceRecursive(base[k], v) : v;
    return out;
  }
  if (Array.isArray(base) && Array.isArray(over)) {
    const out = [...base];
    over.forEach((v, i) => (out[i] = i < base.length ? replaceRecursive(base[i], v) : v));
    return out;
  }
  return over;
}

function extract(data: YamlMap) {
  const env = mapOf(mapOf(data.image).environment);
  const hooks: Partial<Record<HookKey, unknown>> = {};
  for (const [key, variable] of Object.entries(HOOK_VARIABLES) as [HookKey, string][]) if (variable in env) hooks[key] = env[variable];

  const brokerOf = (services: unknown) => mapOf(mapOf(services).broker);
  const passwordPaths: string[][] = [];
  const regions = Object.entries(mapOf(data.regions)).map(([name, r]): DeployFileRegion => {
    const broker = brokerOf(mapOf(r).services);
    if ('password' in broker) passwordPaths.push(['regions', name, 'services', 'broker', 'password']);
    const stores = Object.entries(mapOf(mapOf(r).stores)).map(([store, s]): DeployFileStore => {
      const sb = brokerOf(mapOf(s).services);
      if ('password' in sb) passwordPaths.push(['regions', name, 'stores', store, 'services', 'broker', 'password']);
      return { region: name, name: store, brokerNamespace: str(sb.namespace), brokerUser: str(sb.username), path: ['regions', name, 'stores', store] };
    });
    return { name, brokerNamespace: str(broker.namespace), brokerUser: str(broker.username), stores, path: ['regions', name] };
  });

  const groups: DeployFileGroup[] = [];
  const applications: DeployFileApplication[] = [];
  for (const [group, g] of Object.entries(mapOf(data.groups))) {
    const region = str(mapOf(g).region);
    groups.push({ name: group, region, path: ['groups', group] });
    for (const [key, a] of Object.entries(mapOf(mapOf(g).applications))) {
      const rawEndpoints = mapOf(a).endpoints;
      const endpoints = Object.entries(mapOf(rawEndpoints)).map(([host, e]) => ({ host, store: str(mapOf(e).store), region: str(mapOf(e).region) }));
      const application = mapOf(a).application;
      applications.push({
        key,
        application: typeof application === 'string' ? application : undefined,
        group,
        region,
        endpoints,
        hasEndpoints: isMap(rawEndpoints) || Array.isArray(rawEndpoints),
        path: ['groups', group, 'applications', key],
      });
    }
  }

  const services = mapOf(data.services);
  const broker = isMap(services.broker) ? services.broker : undefined;
  if (broker && 'password' in mapOf(broker.api)) passwordPaths.unshift(['services', 'broker', 'api', 'password']);
  const dms = env.SPRYKER_DYNAMIC_STORE_MODE;
  return {
    dynamicStoreMode: dms === true || dms === 1 || (typeof dms === 'string' && ['true', '1'].includes(dms.toLowerCase())),
    hooks,
    regions,
    groups,
    applications,
    broker: broker && { engine: broker.engine, apiUser: str(mapOf(broker.api).username), passwordPaths },
    scheduler: 'scheduler' in services ? { engine: mapOf(services.scheduler).engine } : undefined,
  };
}

/** The application a service name is computed for. */
export interface NamedApplication {
  readonly key: string;
  /** Application type: `zed`, `yves`, ..., `scheduler`. */
  readonly application: string;
  readonly group?: string;
  readonly region?: string;
}

/** ECS service name of an application. Applications given the same name are deployed as one service. */
export type ServiceNaming = (app: NamedApplication, environment: string) => string;

/** One ECS service per application type, named as validate's serviceName() defaults it. */
export const defaultServiceName: ServiceNaming = (app, environment) => `${environment}-${app.application}`;

export interface DeployFilePropsOptions extends DeployFileReadOptions {
  /** @default defaultServiceName: `${environment}-${application type}` */
  readonly serviceName?: ServiceNaming;
}

/** What props must add to a deploy file, and anything they override. */
export type DeployFileOverrides = Partial<Omit<SprykerPipelineProps, 'broker'>> &
  Pick<SprykerPipelineProps, 'cluster'> & {
    /** The broker's endpoint and admin secret; vhosts and users come from the file unless set here. @default - no broker */
    readonly broker?: Partial<SprykerBrokerProps> &
      Pick<SprykerBrokerProps, 'endpoint' | 'adminSecret'> & {
        /**
         * Password secrets of the broker users the file names (`services.broker.api.username`,
         * stores' or regions' `broker.username`), by user name. The file's own passwords are never used.
         * @default {} - the file's users are not managed
         */
        readonly userSecrets?: Record<string, secretsmanager.ISecret>;
      };
  };

/** The props, and the preflight warnings SprykerPipeline reports as CDK annotations. */
export type DeployFileProps = SprykerPipelineProps & { readonly preflightWarnings: PreflightFinding[] };

/**
 * SprykerPipelineProps from a deploy file: hooks, vhosts, broker users, application services and
 * the scheduler from the file, the rest (and anything to override) from `overrides`.
 * @throws PreflightError listing every critical finding
 */
export function sprykerPipelinePropsFromDeployFile(file: string, overrides: DeployFileOverrides, options: DeployFilePropsOptions = {}): DeployFileProps {
  const config = readDeployFile(file, options);
  const { props, findings } = evaluate(config, overrides, options);
  if (!props || findings.some((f) => f.severity === 'critical')) throw new PreflightError(displayPath(config.file), findings);
  // Build_and_Prepare's docker/sdk boot reads the file these props came from (by name: it lives in the project's root).
  const build = { ...props.build, deployFile: props.build?.deployFile ?? config.fileName };
  return { ...(props as SprykerPipelineProps), build, preflightWarnings: findings };
}

/**
 * The preflight pass over a deploy file, with the overrides when they are known (the CLI has
 * none: props-only rules are skipped).
 */
export function preflight(config: DeployFileConfig, options: PreflightOptions = {}): PreflightFinding[] {
  return evaluate(config, options.overrides, options).findings;
}

export interface PreflightOptions extends DeployFilePropsOptions {
  /** @default - only the file is checked: rules about props are skipped */
  readonly overrides?: DeployFileOverrides;
  /** Environment when neither overrides nor the file name give one. @default - none */
  readonly environment?: string;
}

function evaluate(config: DeployFileConfig, overrides: DeployFileOverrides | undefined, options: PreflightOptions) {
  const environment = overrides?.environment ?? options.environment ?? config.environment;
  const naming = options.serviceName ?? defaultServiceName;
  // Service names need an environment; without one, the preflight still compares them with a stand-in.
  const services = deriveServices(config, environment ?? 'ENV', naming);
  const props = overrides && environment ? buildProps(config, { ...overrides, environment }, services, naming) : undefined;
  const ctx: PreflightContext = {
    config,
    vhosts: deployFileVhosts(config),
    brokerUsers: brokerUsers(config),
    environment,
    // As validate's isProduction().
    production: overrides?.production ?? /prod/.test(environment ?? ''),
    services,
    props,
  };
  return { props, findings: runPreflight(ctx) };
}

function deriveServices(config: DeployFileConfig, environment: string, naming: ServiceNaming): DerivedService[] {
  const byName = new Map<string, { key: string; type: string }[]>();
  for (const app of config.applications) {
    // docker-sdk builds nothing for a static application (nginx of the frontend serves it).
    if (app.application === undefined || app.application === STATIC_APPLICATION) continue;
    const name = naming({ key: app.key, application: app.application, group: app.group, region: app.region }, environment);
    byName.set(name, [...(byName.get(name) ?? []), { key: app.key, type: app.application }]);
  }
  const perType = new Map<string, number>();
  for (const apps of byName.values()) perType.set(apps[0].type, (perType.get(apps[0].type) ?? 0) + 1);
  return [...byName].map(([serviceName, apps]) => {
    const type = apps[0].type;
    // Two services of one type need distinct application names: their keys, as validate allows them.
    const application = perType.get(type) === 1 ? type : apps[0].key.toLowerCase().replace(/[^a-z0-9-]/g, '-');
    const props: SprykerServiceProps = {
      application,
      ...(serviceName !== `${environment}-${application}` && { service: serviceName }),
      ...(application !== type && { containerImages: { [application]: type } }),
    };
    return { props, serviceName, keys: apps.map((a) => a.key), types: [...new Set(apps.map((a) => a.type))] };
  });
}

function buildProps(config: DeployFileConfig, overrides: DeployFileOverrides & { environment: string }, services: DerivedService[], naming: ServiceNaming): Partial<SprykerPipelineProps> {
  const { broker: brokerOverride, hooks: hookOverrides, ...rest } = overrides;
  const hooks: SprykerHooks = {
    ...Object.fromEntries(Object.entries(config.hooks).filter(([, v]) => typeof v === 'string')),
    ...hookOverrides,
  };
  const schedulerName = naming({ key: 'scheduler', application: 'scheduler' }, overrides.environment);
  const scheduler: SprykerServiceProps | undefined = config.scheduler && {
    application: 'scheduler',
    ...(schedulerName !== `${overrides.environment}-scheduler` && { service: schedulerName }),
    // docker-sdk's scheduler container is Jenkins, built as the `jenkins` image.
    containerImages: { jenkins: 'jenkins' },
  };
  const applicationServices = services.map((s) => s.props);
  // docker-sdk builds the frontend image for every shop (export images prints it); SCCOS runs it as {env}-frontend.
  const frontend: SprykerServiceProps | false = applicationServices.length ? { application: FRONTEND_APPLICATION } : false;
  return {
    services: applicationServices,
    scheduler,
    frontend,
    hookService: hookApplication(services),
    ...rest,
    hooks,
    broker: brokerOverride && brokerProps(config, brokerOverride),
  };
}

function brokerProps(config: DeployFileConfig, override: NonNullable<DeployFileOverrides['broker']>): SprykerBrokerProps {
  const { userSecrets = {}, ...broker } = override;
  const vhosts = deployFileVhosts(config).map((v) => v.vhost);
  const users: BrokerUser[] = brokerUsers(config)
    .filter((u) => userSecrets[u.name])
    .map((u) => ({
      name: u.name,
      passwordSecret: userSecrets[u.name],
      ...(u.vhosts ? { permissions: u.vhosts.map((vhost) => ({ vhost })) } : { tags: ['management'] }),
    }));
  return { vhosts: [...new Set(vhosts)], users, ...broker };
}

/** Who owns a vhost: each store, or each region in Dynamic Multistore mode. */
const vhostOwners = (config: DeployFileConfig): (DeployFileRegion | DeployFileStore)[] =>
  config.dynamicStoreMode ? config.regions : config.regions.flatMap((r) => r.stores);

/** The vhosts the file declares, with where. */
function deployFileVhosts(config: DeployFileConfig): DeployFileVhost[] {
  return vhostOwners(config).flatMap((o) => (o.brokerNamespace === undefined ? [] : [{ vhost: o.brokerNamespace, path: [...o.path, 'services', 'broker', 'namespace'] }]));
}

/** Broker users the file names: the API user (every vhost), and store or region users (their vhosts). */
function brokerUsers(config: DeployFileConfig): DeployFileBrokerUser[] {
  const users = new Map<string, DeployFileBrokerUser>();
  const api = config.broker?.apiUser;
  if (api !== undefined) users.set(api, { name: api, path: ['services', 'broker', 'api', 'username'] });
  for (const o of vhostOwners(config)) {
    if (o.brokerUser === undefined || o.brokerNamespace === undefined) continue;
    const user = users.get(o.brokerUser) ?? { name: o.brokerUser, vhosts: [], path: [...o.path, 'services', 'broker', 'username'] };
    user.vhosts?.push(o.brokerNamespace);
    users.set(o.brokerUser, user);
  }
  return [...users.values()];
}
