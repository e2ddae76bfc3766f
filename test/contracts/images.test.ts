/** images.json (lib/contracts/images.ts): what scripts/build-images.sh writes (test/build checks the script against it). */
import { ImagesManifest } from '../../lib/contracts/images';
import { problems } from './problems';

const images = { v: 1 as const, version: 'a'.repeat(40), images: { zed: `123456789012.dkr.ecr.eu-central-1.amazonaws.com/production-zed@sha256:${'0'.repeat(64)}` } };

test('a manifest parses; one built before manifests carried a version reads as version 1', () => {
  expect(ImagesManifest.parse(images)).toEqual(images);
  const { v: _v, ...unversioned } = images;
  expect(ImagesManifest.parse(unversioned)).toEqual(images);
});

test('another version and every broken field, by path', () => {
  expect(problems(ImagesManifest, { v: 2, version: '', images: { zed: '', 'backend-gateway': 7 } })).toEqual([
    'v: expected 1',
    'version: expected a non-empty string',
    'images.zed: expected a non-empty string',
    'images.backend-gateway: expected string, got number',
  ]);
  expect(problems(ImagesManifest, { version: 'abc' })).toEqual(['images: required']);
});
