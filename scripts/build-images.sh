#!/usr/bin/env bash
# Build_and_Prepare (SCCOS's Build_Push_if_not_exist): for each application image, check whether
# {env}-{image}:{version} is in ECR; build and push only the missing ones; write images.json with
# every image by digest; record the version in /{env}/lastbuildversion.
#
# A redeploy or a rollback to a version that was built before builds nothing.
#
# Environment (the CodeBuild project sets them; see lib/stages/build-and-prepare.ts):
#   SPRYKER_ENVIRONMENT            environment name: repositories are {env}-{image}
#   VERSION                        full commit hash to deploy: the image tag
#   SOURCE_VERSION                 commit the source checkout holds (default: git HEAD)
#   SPRYKER_IMAGES                 image keys, space separated
#   ECR_REGISTRY                   {account}.dkr.ecr.{region}.amazonaws.com
#   LAST_BUILD_VERSION_PARAMETER   /{env}/lastbuildversion
#   SPRYKER_BUILD_COMMANDS         bash commands that build the images; they print one line
#                                  "<image key> <local image>" per image on stdout (the format of
#                                  docker-sdk's `docker/sdk export images`), anything else goes to stderr
#   IMAGES_MANIFEST                output file (default images.json)
#   SPRYKER_SOURCE_IDENTITY        'content' for an S3 source, whose version is upload metadata: each image
#                                  is also tagged {version}.src-{hash of the checkout}, and an image of the
#                                  version built from other content is refused rather than reused
set -euo pipefail

log() { echo "build-images: $*" >&2; }
fail() {
  log "ERROR: $*"
  exit 1
}

for var in SPRYKER_ENVIRONMENT VERSION SPRYKER_IMAGES ECR_REGISTRY LAST_BUILD_VERSION_PARAMETER SPRYKER_BUILD_COMMANDS; do
  [[ -n "${!var:-}" ]] || fail "$var is not set (the CodeBuild project sets it: redeploy the pipeline stack)"
done
manifest="${IMAGES_MANIFEST:-images.json}"

[[ "$VERSION" =~ ^([0-9a-f]{40}|[0-9a-f]{64})$ ]] ||
  fail "VERSION '$VERSION' is not a full commit hash: check /$SPRYKER_ENVIRONMENT/desired_version ('latest' or a full hash)"
read -r -a images <<<"$SPRYKER_IMAGES"
for key in "${images[@]}"; do
  [[ "$key" =~ ^[a-z0-9][a-z0-9._-]*$ ]] || fail "image key '$key' is not a valid ECR repository name part"
done

repository() { echo "$SPRYKER_ENVIRONMENT-$1"; }

# Prints the digest of {repo}:{tag} (default VERSION), nothing when the tag does not exist; fails on any other error.
digest_of() {
  local repo="$1" tag="${2:-$VERSION}" out err
  err="$(mktemp)"
  if out="$(aws ecr describe-images --repository-name "$repo" --image-ids "imageTag=$tag" \
    --query 'imageDetails[0].imageDigest' --output text 2>"$err")"; then
    rm -f "$err"
    [[ "$out" == sha256:* ]] || fail "ECR answered '$out' for the digest of $repo:$tag"
    echo "$out"
    return 0
  fi
  if grep -q ImageNotFoundException "$err"; then
    rm -f "$err"
    return 0
  fi
  local why
  why="$(tr '\n' ' ' <"$err")"
  rm -f "$err"
  if [[ "$why" == *RepositoryNotFoundException* ]]; then
    fail "ECR repository $repo does not exist: deploy the pipeline stack (it creates it), or create it when repositories are imported"
  fi
  fail "cannot look up $repo:$tag in ECR: $why"
}

# The identity of the source content: every file of the checkout (names and bytes), git metadata aside.
identity=''
if [[ "${SPRYKER_SOURCE_IDENTITY:-}" == content ]]; then
  hash="$(find . -path ./.git -prune -o -type f ! -name "$manifest" -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum | sha256sum | cut -c1-40)"
  identity="$VERSION.src-$hash"
  log "source content identity: $identity"
fi

# An existing image of VERSION is reused only if it was built from this content (S3 source).
check_identity() {
  local repo="$1" digest="$2"
  [[ -z "$identity" ]] && return 0
  [[ "$(digest_of "$repo" "$identity")" == "$digest" ]] ||
    fail "$repo:$VERSION exists but was built from other source content than this upload (no tag $identity on it): the S3 source object claims commit $VERSION for different content; upload the content of $VERSION, or upload this content with its own commit hash (metadata commit)"
}

# Records the content identity on a pushed image, as a second tag of the same manifest.
tag_identity() {
  local repo="$1" image_manifest
  [[ -z "$identity" ]] && return 0
  image_manifest="$(aws ecr batch-get-image --repository-name "$repo" --image-ids "imageTag=$VERSION" --query 'images[0].imageManifest' --output text)" ||
    fail "cannot read the manifest of $repo:$VERSION to tag it $identity"
  aws ecr put-image --repository-name "$repo" --image-tag "$identity" --image-manifest "$image_manifest" >/dev/null ||
    fail "cannot tag $repo:$VERSION as $identity"
}

declare -A digests=()
missing=()
for key in "${images[@]}"; do
  digest="$(digest_of "$(repository "$key")")"
  if [[ -n "$digest" ]]; then
    check_identity "$(repository "$key")" "$digest"
    digests[$key]="$digest"
    log "$(repository "$key"):$VERSION exists ($digest)"
  else
    missing+=("$key")
  fi
done

# Puts the source checkout at VERSION; a pinned desired_version may be an older commit than the source revision.
checkout_version() {
  local head="${SOURCE_VERSION:-}"
  if git rev-parse --git-dir >/dev/null 2>&1; then
    # With git, HEAD itself is the evidence: what CodePipeline reported must be what was checked out.
    local actual
    actual="$(git rev-parse HEAD)"
    [[ -z "$head" || "$head" == "$actual" ]] ||
      fail "the source checkout is at $actual, but the source action reported $head: refusing to build what was not reported"
    head="$actual"
  fi
  [[ "$head" == "$VERSION" ]] && return 0
  local wanted="images ${missing[*]} of $VERSION are not in ECR, and the source holds ${head:-an unknown commit}"
  git rev-parse --git-dir >/dev/null 2>&1 ||
    fail "$wanted without git history: use a git source with full clone, or set /$SPRYKER_ENVIRONMENT/desired_version to a version that was built before (or 'latest')"
  if ! git cat-file -e "$VERSION^{commit}" 2>/dev/null; then
    git fetch --quiet origin "$VERSION" >/dev/null 2>&1 || true
    git cat-file -e "$VERSION^{commit}" 2>/dev/null ||
      fail "desired_version $VERSION does not exist in the repository ($wanted): check /$SPRYKER_ENVIRONMENT/desired_version"
  fi
  log "checking out $VERSION (the source holds $head)"
  git checkout --quiet --force --detach "$VERSION"
  [[ "$(git rev-parse HEAD)" == "$VERSION" ]] || fail "checkout of $VERSION left HEAD at $(git rev-parse HEAD)"
}

if ((${#missing[@]})); then
  log "building ${missing[*]} for $VERSION"
  checkout_version
  aws ecr get-login-password | docker login --username AWS --password-stdin "$ECR_REGISTRY" >/dev/null ||
    fail "docker login to $ECR_REGISTRY failed"

  listing="$(mktemp)"
  # The build's stdout is the image listing; it is also shown in the build log.
  VERSION="$VERSION" bash -euo pipefail -c "$SPRYKER_BUILD_COMMANDS" | tee "$listing" ||
    fail "the build commands failed (exit ${PIPESTATUS[0]}): see the log above"

  for key in "${missing[@]}"; do
    # docker-sdk prints one line per application key (yves_eu, Backoffice, ...), all tags of one
    # application image (<prefix>_app:<tag>-<key>): a key without a line of its own takes that image.
    local_image="$(awk -v key="$key" '
      NF == 2 && tolower($1) == key { image = $2 }
      NF == 2 && key != "frontend" && key != "jenkins" && $2 ~ /_app:/ && app == "" { app = $2 }
      END { print (image != "" ? image : app) }' "$listing")"
    [[ -n "$local_image" ]] ||
      fail "the build printed no image for '$key' (it printed: $(awk 'NF == 2 { printf "%s ", tolower($1) }' "$listing")): build it in build.buildCommands, or leave it out of build.images"
    target="$ECR_REGISTRY/$(repository "$key"):$VERSION"
    docker tag "$local_image" "$target" || fail "cannot tag $local_image as $target for image '$key'"
    if ! docker push "$target" >&2; then
      # Tags are immutable: a concurrent build of the same version may have pushed it first.
      digest="$(digest_of "$(repository "$key")")"
      [[ -n "$digest" ]] || fail "push of image '$key' to $target failed: see the docker output above"
      check_identity "$(repository "$key")" "$digest"
      log "push of '$key' failed, but $target exists now: using it"
    else
      tag_identity "$(repository "$key")"
    fi
    digest="$(digest_of "$(repository "$key")")"
    [[ -n "$digest" ]] || fail "image '$key' was pushed to $target but ECR does not list it"
    digests[$key]="$digest"
  done
  rm -f "$listing"
else
  log "every image of $VERSION exists: nothing to build"
fi

# "v": IMAGES_VERSION of lib/contracts/images.ts (the handlers refuse a version they do not read).
{
  printf '{\n  "v": 1,\n  "version": "%s",\n  "images": {' "$VERSION"
  sep=''
  for key in "${images[@]}"; do
    printf '%s\n    "%s": "%s@%s"' "$sep" "$key" "$ECR_REGISTRY/$(repository "$key")" "${digests[$key]}"
    sep=','
  done
  printf '\n  }\n}\n'
} >"$manifest"
log "wrote $manifest"

aws ssm put-parameter --name "$LAST_BUILD_VERSION_PARAMETER" --value "$VERSION" --overwrite >/dev/null ||
  fail "cannot record $VERSION in $LAST_BUILD_VERSION_PARAMETER"
log "$LAST_BUILD_VERSION_PARAMETER = $VERSION"
