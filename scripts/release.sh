#!/usr/bin/env bash
# release.sh: Herald's release binaries, static and reproducible.
#
#   scripts/release.sh               every platform into dist/, with dist/SHA256SUMS
#   scripts/release.sh linux/amd64   only the platforms named
#   scripts/release.sh --check       build linux/amd64 twice, from this tree and
#                                    from a copy at another path, and compare
#
# Reproducible: CGO_ENABLED=0, -trimpath (no local paths), -buildvcs=false
# (nothing read from .git at build time, so a copy of the tree builds the
# same), -buildid= and -s -w, and the version, commit and date passed with
# -ldflags -X, all taken from git. The date is the commit time
# (SOURCE_DATE_EPOCH, https://reproducible-builds.org/specs/source-date-epoch/),
# never the clock, so the same commit and toolchain give the same bytes.
set -euo pipefail
cd "$(dirname "$0")/.."

PLATFORMS_DEFAULT=(linux/amd64 linux/arm64 darwin/arm64 windows/amd64)
DIST="${DIST:-dist}"

VERSION="${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}"
COMMIT="${COMMIT:-$(git rev-parse HEAD 2>/dev/null || echo unknown)}"
if [[ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]]; then
	COMMIT="$COMMIT-dirty"
fi
SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}"
export SOURCE_DATE_EPOCH
DATE="$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ 2>/dev/null || date -u -r "$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)"
LDFLAGS="-s -w -buildid= -X main.version=$VERSION -X main.commit=$COMMIT -X main.date=$DATE"

# build OS/ARCH OUT: one static binary.
build() {
	local os="${1%/*}" arch="${1#*/}" out="$2"
	CGO_ENABLED=0 GOOS="$os" GOARCH="$arch" GOFLAGS= \
		go build -trimpath -buildvcs=false -ldflags "$LDFLAGS" -o "$out" ./cmd/herald
}

# name OS/ARCH: the file name in dist/, GoReleaser style.
name() {
	local os="${1%/*}" arch="${1#*/}" ext=""
	[[ "$os" == windows ]] && ext=.exe
	echo "herald_${os}_${arch}${ext}"
}

sha256() { if command -v sha256sum >/dev/null; then sha256sum "$@"; else shasum -a 256 "$@"; fi; }

if [[ "${1:-}" == "--check" ]]; then
	tmp="$(mktemp -d)"
	trap 'rm -rf "$tmp"' EXIT
	echo "building linux/amd64 from $(pwd)"
	build linux/amd64 "$tmp/first"
	# The same sources at another absolute path: what -trimpath must hide.
	mkdir "$tmp/copy"
	git ls-files -z | xargs -0 cp --parents -t "$tmp/copy"
	echo "building linux/amd64 again from $tmp/copy"
	(cd "$tmp/copy" && CGO_ENABLED=0 GOOS=linux GOARCH=amd64 GOFLAGS= \
		go build -trimpath -buildvcs=false -ldflags "$LDFLAGS" -o "$tmp/second" ./cmd/herald)
	a="$(sha256 "$tmp/first" | cut -d' ' -f1)"
	b="$(sha256 "$tmp/second" | cut -d' ' -f1)"
	echo "$a  first"
	echo "$b  second"
	if [[ "$a" != "$b" ]]; then
		echo "release build is not reproducible" >&2
		exit 1
	fi
	echo "reproducible: both builds are byte-identical"
	if [[ "$(go env GOHOSTOS)/$(go env GOHOSTARCH)" == linux/amd64 ]]; then
		# The -X values reached the binary.
		"$tmp/first" version
		"$tmp/first" version | grep -qF "commit: $COMMIT" || { echo "herald version does not show $COMMIT" >&2; exit 1; }
		"$tmp/first" version | grep -qF "built:  $DATE" || { echo "herald version does not show $DATE" >&2; exit 1; }
	fi
	exit 0
fi

platforms=("$@")
[[ ${#platforms[@]} -eq 0 ]] && platforms=("${PLATFORMS_DEFAULT[@]}")
mkdir -p "$DIST"
for p in "${platforms[@]}"; do
	echo "building $p: $DIST/$(name "$p") ($VERSION, $COMMIT, $DATE)"
	build "$p" "$DIST/$(name "$p")"
done
(cd "$DIST" && sha256 herald_* > SHA256SUMS && cat SHA256SUMS)
