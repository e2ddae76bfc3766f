/** SSM parameter names of an environment, as SCCOS has them. */
export function ssmPaths(env: string) {
  return {
    model: `/${env}/pipeline/model`,
    desiredVersion: `/${env}/desired_version`,
    lastBuildVersion: `/${env}/lastbuildversion`,
    lastDeployedVersion: `/${env}/lastdeployedversion`,
  };
}
