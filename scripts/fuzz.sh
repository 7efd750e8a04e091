#!/usr/bin/env bash
# fuzz.sh: run every fuzz target of the module for a while each.
#
#   make fuzz                       (or: scripts/fuzz.sh)
#   FUZZTIME=1m scripts/fuzz.sh     (longer per target; any -fuzztime value)
#
# A target fails the run when it finds a failing input (go test writes it to
# the package's testdata/fuzz/<target>/, where it then runs with every go
# test as a regression case) or fails in any other way but one: Go 1.26's
# fuzzing coordinator can report "context deadline exceeded" when -fuzztime
# runs out while a worker is mid-input on a busy machine, with nothing found
# and nothing written (go.dev/issue/75804, fixed in Go 1.27). That one is
# reported as a flake and the run goes on.
set -euo pipefail
cd "$(dirname "$0")/.."

fuzztime="${FUZZTIME:-10s}"
flakes=0
for pkg in $(go list ./...); do
	targets=$(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true)
	[[ -n "$targets" ]] || continue
	dir=$(go list -f '{{.Dir}}' "$pkg")
	for target in $targets; do
		echo "$pkg $target"
		corpus="$dir/testdata/fuzz/$target"
		before=$(ls "$corpus" 2>/dev/null || true)
		if out=$(go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg" 2>&1); then
			echo "$out" | tail -n 1
			continue
		fi
		echo "$out"
		after=$(ls "$corpus" 2>/dev/null || true)
		if [[ "$before" == "$after" ]] && grep -q '^    context deadline exceeded$' <<<"$out" &&
			! grep -q 'Failing input written' <<<"$out"; then
			echo "flake: $target stopped with the coordinator's deadline race (go.dev/issue/75804); no failing input was found"
			flakes=$((flakes + 1))
			continue
		fi
		echo "FAIL: $pkg $target"
		exit 1
	done
done
echo "all fuzz targets passed ($flakes flaked on the coordinator's deadline race)"
