import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readZip, writeZip } from '../../../lambda/runtime/artifacts';

const tmp = () => mkdtempSync(join(tmpdir(), 'zip-'));

describe('zip codec', () => {
  test('round trip keeps every file byte for byte, UTF-8 names included', () => {
    const big = JSON.stringify({ images: Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`app${i}`, `repo@sha256:${'a'.repeat(64)}`])) });
    const zip = writeZip({ 'release.json': big, 'dir/ä.txt': 'grüße', 'empty.txt': '' });
    const files = readZip(zip);
    expect([...files.keys()]).toEqual(['release.json', 'dir/ä.txt', 'empty.txt']);
    expect(files.get('release.json')!.toString()).toBe(big);
    expect(files.get('dir/ä.txt')!.toString()).toBe('grüße');
    expect(files.get('empty.txt')!.length).toBe(0);
    expect(zip.length).toBeLessThan(big.length / 5); // really deflated
  });

  test('reads a zip made by the system zip command (stored and deflated entries, a folder)', () => {
    const dir = tmp();
    execFileSync('mkdir', ['-p', join(dir, 'out')]);
    writeFileSync(join(dir, 'out', 'images.json'), '{"version":"abc","images":{"zed":"r@sha256:1"}}'.repeat(20));
    writeFileSync(join(dir, 'tiny.txt'), 'x');
    execFileSync('zip', ['-q', '-r', 'a.zip', 'out', 'tiny.txt'], { cwd: dir });
    const files = readZip(readFileSync(join(dir, 'a.zip')));
    expect(files.get('out/images.json')!.toString()).toBe('{"version":"abc","images":{"zed":"r@sha256:1"}}'.repeat(20));
    expect(files.get('tiny.txt')!.toString()).toBe('x');
    expect(files.has('out/')).toBe(false);
  });

  test('python zipfile reads and verifies what writeZip wrote', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'w.zip'), writeZip({ 'release.json': '{"v":1}', 'b.txt': 'hello '.repeat(100) }));
    const out = execFileSync('python3', ['-c', 'import sys,zipfile; z=zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; print(z.read("release.json").decode(), len(z.read("b.txt")))', join(dir, 'w.zip')]);
    expect(out.toString().trim()).toBe('{"v":1} 600');
  });

  test('damage is reported, not silently read', () => {
    expect(() => readZip(Buffer.from('not a zip at all, just text'))).toThrow(/no end of central directory/);
    const zip = writeZip({ 'a.json': 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' });
    zip[zip.indexOf('a.json') + 6 + 2] ^= 0xff; // a byte of the deflated data
    expect(() => readZip(zip)).toThrow(/a\.json|invalid/);
  });
});
