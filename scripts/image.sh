#!/usr/bin/env bash
# image.sh: Herald's container image, built from the release binary.
#
#   make image                       (or: scripts/image.sh)
#   IMAGE=herald:test scripts/image.sh
#   CONTAINER_ENGINE=podman scripts/image.sh
#
# The GoReleaser convention: build the static binary first (release.sh, for
# linux and this machine's architecture), then copy it into a FROM scratch
# image (Containerfile). Uses docker if its daemon answers, else podman.
set -euo pipefail
cd "$(dirname "$0")/.."

engine="${CONTAINER_ENGINE:-}"
if [[ -z "$engine" ]]; then
	for e in docker podman; do
		if command -v "$e" >/dev/null 2>&1 && "$e" info >/dev/null 2>&1; then
			engine="$e"
			break
		fi
	done
fi
if [[ -z "$engine" ]]; then
	echo "image.sh: neither docker nor podman can build here (is the docker daemon running? apt-get install podman)" >&2
	exit 1
fi

arch="${GOARCH:-$(go env GOARCH)}"
version="$(git describe --tags --always --dirty 2>/dev/null || echo dev)"
image="${IMAGE:-herald:$version}"
ctx="dist/image-linux-$arch"

DIST=dist scripts/release.sh "linux/$arch" >/dev/null
rm -rf "$ctx"
mkdir -p "$ctx/rootfs/data" "$ctx/rootfs/tmp"
cp "dist/herald_linux_$arch" "$ctx/herald"

args=(build --platform "linux/$arch" -f Containerfile -t "$image")
if [[ -z "${IMAGE:-}" ]]; then
	args+=(-t herald:latest) # what deploy/compose.yaml runs by default
fi
if [[ "$engine" == podman ]]; then
	# OCI images have no HEALTHCHECK; the Docker format keeps it.
	args+=(--format docker)
fi
"$engine" "${args[@]}" "$ctx"
size=$("$engine" image inspect --format '{{.Size}}' "$image")
echo "built $image with $engine: $((size / 1024 / 1024)) MiB ($size bytes)"
