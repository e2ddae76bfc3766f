/**
 * A versioned S3 bucket (the S3 source's bucket): every PUT keeps the older versions, with their
 * user metadata and time. Serves ListObjectVersions (paged by max-keys and markers, newest
 * first, as S3 does), HeadObject and GetObject by versionId. Path-style requests only.
 */
import type { ServerResponse } from 'node:http';
import { AwsError, type FakeClock } from './core';

interface ObjectVersion {
  readonly versionId: string;
  readonly body: Buffer;
  readonly metadata: Record<string, string>;
  readonly lastModified: number;
}

export class FakeVersionedS3 {
  private readonly buckets = new Map<string, Map<string, ObjectVersion[]>>();
  private next = 1;
  constructor(private readonly clock: FakeClock) {}

  /** Uploads a new version (as `aws s3 cp --metadata`); returns its version id. The clock moves a second per upload. */
  put(bucket: string, key: string, body: Buffer, metadata: Record<string, string> = {}): string {
    const keys = this.buckets.get(bucket) ?? new Map<string, ObjectVersion[]>();
    this.buckets.set(bucket, keys);
    const versionId = `v${String(this.next++).padStart(4, '0')}`;
    this.clock.advance(1000);
    keys.set(key, [{ versionId, body, metadata, lastModified: this.clock.now }, ...(keys.get(key) ?? [])]);
    return versionId;
  }

  handles(url: string): boolean {
    return this.buckets.has(decodeURIComponent(url.split('?')[0]).split('/')[1]);
  }

  serve(method: string, url: string, res: ServerResponse): void {
    const u = new URL(url, 'http://fake');
    const [, bucket, ...rest] = decodeURIComponent(u.pathname).split('/');
    const keys = this.buckets.get(bucket)!;
    if (method === 'GET' && u.searchParams.has('versions')) return this.list(bucket, keys, u.searchParams, res);
    const versions = keys.get(rest.join('/')) ?? [];
    const id = u.searchParams.get('versionId');
    const v = id ? versions.find((x) => x.versionId === id) : versions[0];
    if (!v) throw new AwsError(id ? 'NoSuchVersion' : 'NoSuchKey', 'The specified version does not exist.', 404);
    const headers: Record<string, string | number> = {
      'content-type': 'application/zip',
      'content-length': v.body.length,
      'last-modified': new Date(v.lastModified).toUTCString(),
      etag: '"etag"',
      'x-amz-version-id': v.versionId,
      ...Object.fromEntries(Object.entries(v.metadata).map(([k, value]) => [`x-amz-meta-${k}`, value])),
    };
    if (method === 'HEAD') return void res.writeHead(200, headers).end();
    if (method === 'GET') return void res.writeHead(200, headers).end(v.body);
    throw new AwsError('NotImplemented', `fake versioned bucket: ${method} is not served`, 501);
  }

  private list(bucket: string, keys: Map<string, ObjectVersion[]>, q: URLSearchParams, res: ServerResponse): void {
    const prefix = q.get('prefix') ?? '';
    const all = [...keys].filter(([k]) => k.startsWith(prefix)).sort(([a], [b]) => (a < b ? -1 : 1)).flatMap(([key, vs]) => vs.map((v, i) => ({ key, v, latest: i === 0 })));
    const marker = q.get('version-id-marker');
    const start = marker ? all.findIndex((x) => x.v.versionId === marker) + 1 : 0;
    const max = Number(q.get('max-keys') ?? 1000);
    const page = all.slice(start, start + max);
    const truncated = start + max < all.length;
    const last = page[page.length - 1];
    const xml = `<?xml version="1.0" encoding="UTF-8"?><ListVersionsResult><Name>${bucket}</Name><Prefix>${prefix}</Prefix><MaxKeys>${max}</MaxKeys><IsTruncated>${truncated}</IsTruncated>${
      truncated ? `<NextKeyMarker>${last.key}</NextKeyMarker><NextVersionIdMarker>${last.v.versionId}</NextVersionIdMarker>` : ''
    }${page
      .map((x) => `<Version><Key>${x.key}</Key><VersionId>${x.v.versionId}</VersionId><IsLatest>${x.latest}</IsLatest><LastModified>${new Date(x.v.lastModified).toISOString()}</LastModified><Size>${x.v.body.length}</Size></Version>`)
      .join('')}</ListVersionsResult>`;
    res.writeHead(200, { 'content-type': 'application/xml' }).end(xml);
  }
}
