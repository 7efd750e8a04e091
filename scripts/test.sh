#!/usr/bin/env bash
# test.sh: Herald's whole test suite, the same on a laptop and in CI.
#
#   make test            (or: scripts/test.sh)
#
# 1. Static checks: gofmt, go vet, staticcheck, and that the partner-facing
#    packages (wire, receiver) import nothing but the standard library.
# 2. A throw-away PostgreSQL server (scripts/pgtest.sh: initdb in a temporary
#    directory, installed with apt-get if missing and run as root), so the
#    Store contract and the PostgreSQL tests run against the real thing.
# 3. go test -race ./... with TEST_DATABASE_URL set. In CI (CI=true) the
#    PostgreSQL tests fail rather than skip if the server is missing.
#
# Extra arguments go to go test, e.g. scripts/test.sh -run TestKill9 ./cmd/herald
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [[ -n "$unformatted" ]]; then
	echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

step "go vet"
go vet ./...

step "staticcheck"
STATICCHECK="$(go env GOPATH)/bin/staticcheck"
if [[ ! -x "$STATICCHECK" ]]; then
	go install honnef.co/go/tools/cmd/staticcheck@v0.8.2
fi
"$STATICCHECK" ./...

step "wire and receiver import only the standard library"
for pkg in ./wire ./receiver; do
	outside=$(go list -deps -f '{{if not .Standard}}{{.ImportPath}}{{end}}' "$pkg" | grep -v '^github.com/heraldhq/herald/wire$' | grep -v "^github.com/heraldhq/herald/${pkg#./}$" || true)
	if [[ -n "$outside" ]]; then
		echo "$pkg imports non-standard packages:"; echo "$outside"; exit 1
	fi
done

step "PostgreSQL for the tests"
if [[ -z "${TEST_DATABASE_URL:-}" ]]; then
	export PGTEST_STATE="${TMPDIR:-/tmp}/herald-test-$$.state"
	eval "$(scripts/pgtest.sh start)"
	export TEST_DATABASE_URL
	trap 'scripts/pgtest.sh stop >/dev/null 2>&1 || true' EXIT
fi

step "go test -race"
if [[ $# -eq 0 ]]; then
	set -- ./...
fi
go test -race -count=1 -timeout 15m "$@"
