/**
 * images.json: Build_and_Prepare's image manifest (scripts/build-images.sh writes it), read by
 * Pre_Deployment_Configuration and UpdateDeployedVersion.
 */
import * as z from 'zod';

export const IMAGES_FILE = 'images.json';

/**
 * Bump when images.json changes incompatibly. Manifests built before it carried a version have
 * none: stage rollback and a redeploy reuse old build artifacts, so an absent `v` reads as 1.
 */
export const IMAGES_VERSION = 1;

export const ImagesManifest = z.object({
  v: z.literal(IMAGES_VERSION).default(IMAGES_VERSION),
  /** The version (commit hash) the images were built from. */
  version: z.string().min(1),
  /** Image key (a service's `containers` value) → `<repository uri>@sha256:<digest>`. */
  images: z.record(z.string().min(1), z.string().min(1)),
});
export type ImagesManifest = z.infer<typeof ImagesManifest>;
