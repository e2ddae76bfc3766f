/**
 * A real git repository with a Spryker-like layout, made in os.tmpdir(), and commits that each
 * change one thing a release diff must see. Author and dates are fixed: hashes are the same on every run.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const SCHEMA = 'src/Pyz/Zed/Foo/Persistence/Propel/Schema/spy_foo.schema.xml';

export function schemaXml(tables: Record<string, string[]>): string {
  const body = Object.entries(tables)
    .map(([name, columns]) => `    <table name="${name}" idMethod="native">\n${columns.map((c) => `        ${c}`).join('\n')}\n    </table>`)
    .join('\n');
  return `<?xml version="1.0"?>
<!-- Pyz schema -->
<database xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" name="zed" namespace="Orm\\Zed\\Foo\\Persistence" package="src.Orm.Zed.Foo.Persistence">
${body}
</database>
`;
}

const ID = '<column name="id_foo" type="INTEGER" autoIncrement="true" primaryKey="true"/>';
const NAME = '<column name="name" type="VARCHAR" size="255" required="true"/>';
const BAR = ['<column name="id_bar" type="INTEGER" autoIncrement="true" primaryKey="true"/>', '<column name="code" type="VARCHAR" size="64" required="true"/>'];

export function lock(packages: Record<string, string>): string {
  return JSON.stringify({ packages: Object.entries(packages).map(([name, version]) => ({ name, version })), 'packages-dev': [] }, null, 4);
}

const deployFile = (hook: string, namespace: string) => `version: '0.1'
namespace: shop
environment: docker.prod
image:
  tag: spryker/php:8.3
  environment:
    SPRYKER_HOOK_INSTALL: '${hook}'
regions:
  EU:
    services:
      database: { database: eu-docker }
    stores:
      DE:
        services:
          broker: { namespace: ${namespace} }
services:
  broker:
    engine: rabbitmq
groups:
  EU:
    region: EU
    applications:
      zed_eu: { application: zed, endpoints: { zed.de.shop.local: { store: DE } } }
`;

export interface ShopRepo {
  readonly dir: string;
  /** Commit hash by step name. */
  readonly commits: Record<Step, string>;
  git(...args: string[]): string;
  remove(): void;
}

export type Step = 'base' | 'addColumn' | 'dropColumn' | 'renameTable' | 'phpOnly' | 'deployFile' | 'composerMajor';

export function makeShopRepo(): ShopRepo {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shop-repo-'));
  let clock = 0;
  const git = (...args: string[]) => {
    const date = `2026-11-0${1 + Math.floor(clock / 10)}T10:0${clock % 10}:00Z`;
    return execFileSync('git', args, {
      cwd: dir,
      encoding: 'utf8',
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 'Ada Release',
        GIT_AUTHOR_EMAIL: 'ada@example.com',
        GIT_COMMITTER_NAME: 'Ada Release',
        GIT_COMMITTER_EMAIL: 'ada@example.com',
        GIT_AUTHOR_DATE: date,
        GIT_COMMITTER_DATE: date,
        GIT_CONFIG_NOSYSTEM: '1',
        HOME: dir,
      },
    });
  };
  const write = (files: Record<string, string>) => {
    for (const [p, content] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
      fs.writeFileSync(path.join(dir, p), content);
    }
  };
  const commit = (subject: string, files: Record<string, string>, removed: string[] = []): string => {
    write(files);
    for (const r of removed) fs.rmSync(path.join(dir, r));
    git('add', '-A');
    clock++;
    git('commit', '--quiet', '-m', subject);
    return git('rev-parse', 'HEAD').trim();
  };
  git('init', '--quiet', '--initial-branch=main');
  const commits = {} as Record<Step, string>;
  commits.base = commit('Base shop', {
    [SCHEMA]: schemaXml({ spy_foo: [ID, NAME], spy_bar: BAR }),
    'deploy.yml': deployFile('vendor/bin/install -r EU/production --no-ansi -vvv', 'de_queue'),
    'composer.lock': lock({ 'spryker/product': '5.12.0', 'spryker-shop/cart-page': '3.40.1', 'symfony/console': 'v6.4.2' }),
    'config/install/EU/production.yml': 'sections:\n  build:\n    generate-transfers:\n      command: vendor/bin/console transfer:generate\n',
    'config/Zed/cronjobs/jenkins.php': "<?php\n$jobs[] = ['name' => 'queue-worker-start', 'command' => '$PHP_BIN vendor/bin/console queue:worker:start', 'schedule' => '* * * * *'];\n",
    'config/Shared/config_default.php': "<?php\n$config[RabbitMqEnv::RABBITMQ_API_HOST] = getenv('SPRYKER_BROKER_API_HOST');\n",
    'src/Pyz/Zed/Foo/Business/FooFacade.php': '<?php\nclass FooFacade {}\n',
    'frontend/settings.js': 'module.exports = {};\n',
  });
  commits.addColumn = commit('Foo: add a nullable description', {
    [SCHEMA]: schemaXml({ spy_foo: [ID, NAME, '<column name="description" type="LONGVARCHAR"/>'], spy_bar: BAR }),
  });
  commits.dropColumn = commit('Foo: drop name', { [SCHEMA]: schemaXml({ spy_foo: [ID, '<column name="description" type="LONGVARCHAR"/>'], spy_bar: BAR }) });
  commits.renameTable = commit('Rename spy_bar to spy_baz', {
    [SCHEMA]: schemaXml({ spy_foo: [ID, '<column name="description" type="LONGVARCHAR"/>'], spy_baz: BAR }),
  });
  commits.phpOnly = commit('Foo: faster facade', { 'src/Pyz/Zed/Foo/Business/FooFacade.php': '<?php\nclass FooFacade { public function go() {} }\n' });
  commits.deployFile = commit('Deploy file: install hook and DE queue', {
    'deploy.yml': deployFile('vendor/bin/install -r EU/production-with-data --no-ansi -vvv', 'de_queue_v2'),
  });
  commits.composerMajor = commit('Update spryker/product to 6', {
    'composer.lock': lock({ 'spryker/product': '6.0.0', 'spryker-shop/cart-page': '3.41.0', 'symfony/console': 'v6.4.2', 'spryker/new-module': '1.0.0' }),
  });
  return { dir, commits, git, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
