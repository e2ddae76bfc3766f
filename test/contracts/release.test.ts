/** release.json and the kept-release record (lib/contracts/release.ts). */
import { DeployedRelease, ReleaseManifest } from '../../lib/contracts/release';
import { problems } from './problems';

const td = (family: string, revision: number) => `arn:aws:ecs:eu-central-1:123456789012:task-definition/${family}:${revision}`;
const release: ReleaseManifest = {
  v: 1,
  env: 'production',
  version: 'a'.repeat(40),
  preparedAt: '2026-03-01T10:00:00.000Z',
  services: [{ app: 'zed', service: 'production-zed', previousTaskDefinition: td('production-zed', 1), taskDefinition: td('production-zed', 2) }],
};

test('release.json parses as Pre_Deployment_Configuration writes it', () => {
  expect(ReleaseManifest.parse(release)).toEqual(release);
});

test('release.json: it always carried v, so an absent v is refused; every broken field by path', () => {
  const { v: _v, ...unversioned } = release;
  expect(problems(ReleaseManifest, unversioned)).toEqual(['v: required']);
  expect(problems(ReleaseManifest, { ...release, env: 3, services: [{ app: 'zed', service: 'production-zed', taskDefinition: '' }, 'yves'] })).toEqual([
    'env: expected string, got number',
    'services[0].previousTaskDefinition: required',
    'services[0].taskDefinition: expected a non-empty string',
    'services[1]: expected object, got string',
  ]);
});

test('the kept-release record: version 2 (every item UpdateDeployedVersion ever put in the table); another is refused', () => {
  const record: DeployedRelease = {
    v: 2,
    env: 'production',
    version: release.version,
    releaseId: release.preparedAt,
    deployedAt: '2026-03-01T10:30:00.000Z',
    taskDefinitions: { 'production-zed': 'production-zed:2' },
    images: ['r@sha256:1'],
  };
  expect(DeployedRelease.parse(record)).toEqual(record);
  expect(problems(DeployedRelease, { ...record, v: 1, images: 'r@sha256:1', taskDefinitions: { 'production-zed': 2 } })).toEqual([
    'v: expected 2',
    'taskDefinitions.production-zed: expected string, got number',
    'images: expected array, got string',
  ]);
});
