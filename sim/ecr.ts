/**
 * A stateful fake of Amazon ECR for the step handlers: repositories with immutable tags, images
 * (manifest, digest, tags, push time), PutImage / BatchGetImage / DescribeImages /
 * BatchDeleteImage, and the lifecycle policy evaluated as ECR documents it
 * (docs.aws.amazon.com/AmazonECR/latest/userguide/LifecyclePolicies.html, "Lifecycle policy
 * evaluation rules"):
 * - rules apply in rulePriority order, lowest first; an image is expired by one rule or none;
 * - an image that matches the tagging requirements of a rule cannot be expired by a rule with a
 *   lower priority, but lower rules still count it ("identify them as if they haven't been expired");
 * - tagPrefixList / tagPatternList: matched when every entry matches one of the image's tags;
 * - imageCountMoreThan sorts youngest to oldest by push time and expires beyond countNumber;
 *   sinceImagePushed expires images pushed more than countNumber days ago.
 */
import { createHash } from 'node:crypto';
import { ACCOUNT, AwsError, type FakeClock } from './core';

export interface LifecycleRule {
  readonly rulePriority: number;
  readonly selection: {
    readonly tagStatus: 'tagged' | 'untagged' | 'any';
    readonly tagPrefixList?: string[];
    readonly tagPatternList?: string[];
    readonly countType: 'imageCountMoreThan' | 'sinceImagePushed';
    readonly countUnit?: 'days';
    readonly countNumber: number;
  };
  readonly action: { readonly type: 'expire' };
}

interface Image {
  readonly digest: string;
  readonly manifest: string;
  readonly mediaType: string;
  readonly tags: Set<string>;
  readonly pushedAt: number;
}

interface Repository {
  readonly immutable: boolean;
  readonly images: Image[];
  rules: LifecycleRule[];
}

export const REGISTRY = `${ACCOUNT}.dkr.ecr.eu-central-1.amazonaws.com`;
const MANIFEST_V2 = 'application/vnd.docker.distribution.manifest.v2+json';
const DAY_MS = 86_400_000;

const sha256 = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`;

export class FakeEcr {
  readonly repositories = new Map<string, Repository>();
  readonly registry = REGISTRY;
  constructor(private readonly clock: FakeClock) {}

  /** A repository with tag immutability (as lib/images.ts creates them) and a lifecycle policy (`{rules: [...]}` text or rules). */
  createRepository(name: string, policy: string | LifecycleRule[] = [], immutable = true) {
    const rules = typeof policy === 'string' ? (JSON.parse(policy) as { rules: LifecycleRule[] }).rules : policy;
    this.repositories.set(name, { immutable, images: [], rules: [...rules].sort((a, b) => a.rulePriority - b.rulePriority) });
  }

  /** What `docker push {repo}:{tag}` of a freshly built image does: a new manifest, pushed now. Returns the image URI by digest. */
  push(repositoryName: string, tag: string): string {
    const manifest = JSON.stringify({ schemaVersion: 2, mediaType: MANIFEST_V2, config: { digest: sha256(`${repositoryName}:${tag}:${this.clock.now}`) }, layers: [] });
    this.putImage({ repositoryName, imageManifest: manifest, imageTag: tag });
    return `${REGISTRY}/${repositoryName}@${sha256(manifest)}`;
  }

  /** Whether the image an URI `{registry}/{repo}@sha256:…` names still exists (an ECS task could pull it). */
  exists(uri: string): boolean {
    const [path, digest] = uri.split('@');
    return !!this.repositories.get(path.slice(REGISTRY.length + 1))?.images.some((i) => i.digest === digest);
  }

  tagsOf(uri: string): string[] {
    const [path, digest] = uri.split('@');
    return [...(this.repositories.get(path.slice(REGISTRY.length + 1))?.images.find((i) => i.digest === digest)?.tags ?? [])];
  }

  /** One run of the lifecycle policy on every repository (ECR runs it within 24 hours of a change); returns the expired image URIs. */
  evaluateLifecycle(): string[] {
    const expired: string[] = [];
    for (const [name, repo] of this.repositories) {
      const gone = new Set<Image>();
      const matchedBefore = new Set<Image>();
      for (const rule of repo.rules) {
        const selected = repo.images.filter((i) => matches(rule, i)).sort((a, b) => b.pushedAt - a.pushedAt);
        const s = rule.selection;
        const candidates = s.countType === 'imageCountMoreThan' ? selected.slice(s.countNumber) : selected.filter((i) => this.clock.now - i.pushedAt > s.countNumber * DAY_MS);
        for (const image of candidates) if (!matchedBefore.has(image)) gone.add(image);
        for (const image of selected) matchedBefore.add(image);
      }
      for (const image of gone) {
        repo.images.splice(repo.images.indexOf(image), 1);
        expired.push(`${REGISTRY}/${name}@${image.digest}`);
      }
    }
    return expired;
  }

  private repository(name: string): Repository {
    const repo = this.repositories.get(name);
    if (!repo) throw new AwsError('RepositoryNotFoundException', `The repository with name '${name}' does not exist in the registry with id '${ACCOUNT}'`);
    return repo;
  }

  private find(repo: Repository, id: { imageDigest?: string; imageTag?: string }): Image | undefined {
    return repo.images.find((i) => (id.imageDigest === undefined || i.digest === id.imageDigest) && (id.imageTag === undefined || i.tags.has(id.imageTag)));
  }

  private putImage(b: { repositoryName: string; imageManifest: string; imageManifestMediaType?: string; imageTag?: string; imageDigest?: string }) {
    const repo = this.repository(b.repositoryName);
    const digest = sha256(b.imageManifest);
    if (b.imageDigest && b.imageDigest !== digest) throw new AwsError('ImageDigestDoesNotMatchException', `Image digest ${b.imageDigest} does not match the digest of the manifest ${digest}`);
    let image = repo.images.find((i) => i.digest === digest);
    const tag = b.imageTag;
    if (image && (!tag || image.tags.has(tag))) {
      throw new AwsError('ImageAlreadyExistsException', `Image with digest '${digest}' and tag '${tag}' already exists in the repository with name '${b.repositoryName}'`);
    }
    const holder = tag ? repo.images.find((i) => i.tags.has(tag)) : undefined;
    if (holder && repo.immutable) {
      throw new AwsError('ImageTagAlreadyExistsException', `The image tag '${tag}' already exists in the '${b.repositoryName}' repository and cannot be overwritten because the repository is immutable.`);
    }
    holder?.tags.delete(tag!);
    if (!image) {
      image = { digest, manifest: b.imageManifest, mediaType: b.imageManifestMediaType ?? MANIFEST_V2, tags: new Set(), pushedAt: this.clock.now };
      repo.images.push(image);
    }
    if (tag) image.tags.add(tag);
    return image;
  }

  readonly api: Record<string, (b: any) => unknown> = {
    PutImage: (b) => {
      const image = this.putImage(b);
      return { image: { registryId: ACCOUNT, repositoryName: b.repositoryName, imageId: { imageDigest: image.digest, imageTag: b.imageTag }, imageManifest: image.manifest, imageManifestMediaType: image.mediaType } };
    },
    BatchGetImage: (b) => {
      const repo = this.repository(b.repositoryName);
      const images = [];
      const failures = [];
      for (const id of b.imageIds as { imageDigest?: string; imageTag?: string }[]) {
        const image = this.find(repo, id);
        if (image) images.push({ registryId: ACCOUNT, repositoryName: b.repositoryName, imageId: { imageDigest: image.digest, ...(id.imageTag ? { imageTag: id.imageTag } : {}) }, imageManifest: image.manifest, imageManifestMediaType: image.mediaType });
        else failures.push({ imageId: id, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' });
      }
      return { images, failures };
    },
    DescribeImages: (b) => {
      const repo = this.repository(b.repositoryName);
      const ids: { imageDigest?: string; imageTag?: string }[] = b.imageIds ?? repo.images.map((i) => ({ imageDigest: i.digest }));
      const details = ids.map((id) => {
        const image = this.find(repo, id);
        if (!image) throw new AwsError('ImageNotFoundException', `The image with imageId {imageDigest:'${id.imageDigest ?? 'null'}', imageTag:'${id.imageTag ?? 'null'}'} does not exist within the repository with name '${b.repositoryName}'`);
        return { registryId: ACCOUNT, repositoryName: b.repositoryName, imageDigest: image.digest, imageTags: [...image.tags], imagePushedAt: image.pushedAt / 1000, imageManifestMediaType: image.mediaType };
      });
      return { imageDetails: details };
    },
    BatchDeleteImage: (b) => {
      const repo = this.repository(b.repositoryName);
      const imageIds = [];
      const failures = [];
      for (const id of b.imageIds as { imageDigest?: string; imageTag?: string }[]) {
        const image = this.find(repo, id);
        if (!image) {
          failures.push({ imageId: id, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' });
          continue;
        }
        // By tag: the tag goes; the image goes with its last tag. By digest: the image goes.
        if (id.imageTag) image.tags.delete(id.imageTag);
        if (!id.imageTag || image.tags.size === 0) repo.images.splice(repo.images.indexOf(image), 1);
        imageIds.push({ imageDigest: image.digest, ...(id.imageTag ? { imageTag: id.imageTag } : {}) });
      }
      return { imageIds, failures };
    },
  };
}

function matches(rule: LifecycleRule, image: Image): boolean {
  const s = rule.selection;
  if (s.tagStatus === 'any') return true;
  if (s.tagStatus === 'untagged') return image.tags.size === 0;
  const tags = [...image.tags];
  if (s.tagPrefixList) return s.tagPrefixList.every((p) => tags.some((t) => t.startsWith(p)));
  if (s.tagPatternList) return s.tagPatternList.every((p) => tags.some((t) => new RegExp(`^${p.split('*').map(escape).join('.*')}$`).test(t)));
  return tags.length > 0;
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
