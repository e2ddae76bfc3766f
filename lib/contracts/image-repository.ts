/**
 * Which images an environment has and where they live: Build_and_Prepare builds and pushes
 * `{repository}:{version}` for each image key, Please_approve's Release_diff asks ECR which of
 * them exist already. One definition for the stack and the handlers.
 */

/** The ECR repository name of an image of an environment. */
export const repositoryName = (env: string, image: string): string => `${env}-${image}`;

/** Every image key of the services (their containers' images), in order, once. */
export function imageKeys(services: readonly { readonly containers: Readonly<Record<string, string>> }[]): string[] {
  return [...new Set(services.flatMap((s) => Object.values(s.containers)))];
}
