/**
 * CodePipeline artifacts: zip files in the artifact bucket, read and written with the job's
 * temporary artifact credentials. The zip codec is node:zlib only (no dependency): stored and
 * deflated entries, no zip64 (artifacts here are a few KB of JSON).
 */
import { crc32, deflateRawSync, inflateRawSync } from 'node:zlib';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { call, StepFailure, type StepContext } from './job';

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
/** General-purpose flag bit 11: names are UTF-8. */
const UTF8_NAMES = 0x0800;

/** Zips files (name → content), deflated. */
export function writeZip(files: Record<string, string | Uint8Array>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  // 1980-01-01 00:00 in DOS time: artifacts are content-addressed, a fixed time keeps zips reproducible.
  const dosTime = 0;
  const dosDate = (1 << 5) | 1;
  for (const [name, content] of Object.entries(files)) {
    const data = typeof content === 'string' ? Buffer.from(content, 'utf8') : Buffer.from(content);
    const deflated = deflateRawSync(data);
    const nameBytes = Buffer.from(name, 'utf8');
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(LOCAL_HEADER, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(UTF8_NAMES, 6);
    local.writeUInt16LE(8, 8);
    local.writeUInt16LE(dosTime, 10);
    local.writeUInt16LE(dosDate, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(deflated.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(CENTRAL_HEADER, 0);
    central.writeUInt16LE(20, 4);
    local.copy(central, 6, 4, 30); // version needed … name length: same fields as the local header
    central.writeUInt16LE(0, 30); // extra
    central.writeUInt16LE(0, 32); // comment
    central.writeUInt16LE(0, 34); // disk
    central.writeUInt16LE(0, 36); // internal attributes
    central.writeUInt32LE(0, 38); // external attributes
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, deflated);
    centrals.push(central, nameBytes);
    offset += local.length + nameBytes.length + deflated.length;
  }
  const directory = Buffer.concat(centrals);
  const count = Object.keys(files).length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(END_OF_CENTRAL_DIRECTORY, 0);
  end.writeUInt16LE(count, 8);
  end.writeUInt16LE(count, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** Unzips every file entry (directories skipped). Throws on what it cannot read, naming why. */
export function readZip(zip: Uint8Array): Map<string, Buffer> {
  const buf = Buffer.from(zip.buffer, zip.byteOffset, zip.byteLength);
  const eocd = findEndOfCentralDirectory(buf);
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const files = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    if (p + 46 > buf.length || buf.readUInt32LE(p) !== CENTRAL_HEADER) throw new Error(`zip: central directory entry ${i} is damaged`);
    const method = buf.readUInt16LE(p + 10);
    const crc = buf.readUInt32LE(p + 16);
    const compressed = buf.readUInt32LE(p + 20);
    const size = buf.readUInt32LE(p + 24);
    const nameLength = buf.readUInt16LE(p + 28);
    const extraLength = buf.readUInt16LE(p + 30);
    const commentLength = buf.readUInt16LE(p + 32);
    const localOffset = buf.readUInt32LE(p + 42);
    const name = buf.toString('utf8', p + 46, p + 46 + nameLength);
    p += 46 + nameLength + extraLength + commentLength;
    if (name.endsWith('/')) continue;
    if (compressed === 0xffffffff || size === 0xffffffff || localOffset === 0xffffffff) throw new Error(`zip: ${name} is a zip64 entry (not supported)`);
    if (buf.readUInt32LE(localOffset) !== LOCAL_HEADER) throw new Error(`zip: local header of ${name} is damaged`);
    // Sizes come from the central directory: the local header's may be zero (data descriptor).
    const start = localOffset + 30 + buf.readUInt16LE(localOffset + 26) + buf.readUInt16LE(localOffset + 28);
    const raw = buf.subarray(start, start + compressed);
    let data: Buffer;
    if (method === 0) data = Buffer.from(raw);
    else if (method === 8) data = inflateRawSync(raw);
    else throw new Error(`zip: ${name} uses compression method ${method} (only stored and deflate are supported)`);
    if (data.length !== size || crc32(data) !== crc) throw new Error(`zip: ${name} fails its size or CRC check`);
    files.set(name, data);
  }
  return files;
}

function findEndOfCentralDirectory(buf: Buffer): number {
  // The record is 22 bytes plus a comment of up to 65535.
  for (let p = buf.length - 22; p >= Math.max(0, buf.length - 22 - 0xffff); p--) {
    if (buf.readUInt32LE(p) === END_OF_CENTRAL_DIRECTORY) return p;
  }
  throw new Error('zip: no end of central directory record (not a zip file)');
}

type Artifact = NonNullable<StepContext<unknown>['data']['inputArtifacts']>[number];

/** An S3 client with the job's artifact credentials (not cached: they belong to this job). */
function artifactClient(ctx: StepContext<unknown>): S3Client {
  const c = ctx.data.artifactCredentials;
  return new S3Client({
    ...ctx.clientConfig,
    credentials: { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken },
  });
}

function pick(artifacts: Artifact[] | undefined, name: string | undefined, kind: 'input' | 'output'): Artifact {
  const list = artifacts ?? [];
  const found = name === undefined ? (list.length === 1 ? list[0] : undefined) : list.find((a) => a.name === name);
  if (!found) {
    throw new StepFailure(
      `the action has no ${kind} artifact${name ? ` '${name}'` : ''} (it has: ${list.map((a) => a.name).join(', ') || 'none'}): check the stage's ${kind}s`,
      'ConfigurationError',
    );
  }
  return found;
}

/** Every file of an input artifact (the only input, unless `artifact` names one), and where it was read. */
export async function readArtifactFiles(ctx: StepContext<unknown>, artifact?: string): Promise<{ files: Map<string, Buffer>; where: string }> {
  const a = pick(ctx.data.inputArtifacts, artifact, 'input');
  const { bucketName, objectKey } = a.location.s3Location;
  const where = `input artifact ${a.name} (s3://${bucketName}/${objectKey})`;
  const out = await call(`reading ${where}`, artifactClient(ctx).send(new GetObjectCommand({ Bucket: bucketName, Key: objectKey })));
  const bytes = await out.Body!.transformToByteArray();
  try {
    return { files: readZip(bytes), where };
  } catch (err) {
    throw new StepFailure(`${where} is not a readable zip: ${(err as Error).message}`, 'JobFailed');
  }
}

/** Reads one file of an input artifact (the only input, unless `artifact` names one). */
export async function readArtifactFile(ctx: StepContext<unknown>, file: string, artifact?: string): Promise<string> {
  const { files, where } = await readArtifactFiles(ctx, artifact);
  // Build tools may put the file below a folder: accept a unique match by base name.
  const content = files.get(file) ?? [...files].find(([n]) => n.split('/').pop() === file)?.[1];
  if (!content) {
    throw new StepFailure(`${where} has no ${file} (files: ${[...files.keys()].join(', ') || 'none'})`, 'JobFailed');
  }
  return content.toString('utf8');
}

/** Writes files (name → content) as the output artifact (the only output, unless `artifact` names one). */
export async function writeArtifact(ctx: StepContext<unknown>, files: Record<string, string>, artifact?: string): Promise<void> {
  const a = pick(ctx.data.outputArtifacts, artifact, 'output');
  const { bucketName, objectKey } = a.location.s3Location;
  const key = ctx.data.encryptionKey;
  await call(
    `writing output artifact ${a.name} (s3://${bucketName}/${objectKey})`,
    artifactClient(ctx).send(
      new PutObjectCommand({
        Bucket: bucketName,
        Key: objectKey,
        Body: writeZip(files),
        ContentType: 'application/zip',
        // A pipeline with a KMS key expects its artifacts encrypted with it.
        ...(key?.type === 'KMS' ? { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: key.id } : {}),
      }),
    ),
  );
}
