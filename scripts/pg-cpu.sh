#!/usr/bin/env bash
# pg-cpu.sh: where a PostgreSQL server's CPU goes while a command runs.
#
#   scripts/pg-cpu.sh -- herald bench --store postgres --database "$URL" --events 10000
#
# Runs the command under `perf record -a -g` (every process on the machine,
# with call graphs), then puts each sample of a PostgreSQL process in the
# first of these parts found walking its stack from the root: autovacuum's
# ANALYZE and VACUUM, the WAL writer, the background writer, the
# checkpointer, a new connection's start, commits, planning, parsing,
# binding, running statements, reading the client's messages; "other" is
# the rest (mostly the kernel: context switches, page faults, signals). It
# prints each part's share of the PostgreSQL samples and their count, so a
# run's counts divided by its deliveries compare builds or node counts.
# docs/performance.md (session 16) has the figures this made.
#
# Needs perf (linux-tools) and permission to record every CPU (root, or
# kernel.perf_event_paranoid <= -1). PostgreSQL's own symbols come from
# its binary; without them most samples land in "other".
#
# Environment:
#   PG_CPU_FREQ   samples per second per CPU (default 999)
#   PG_CPU_DATA   where perf writes its data (default: a temporary file,
#                 removed at the end)
set -euo pipefail

if [[ ${1:-} == -- ]]; then shift; fi
if [[ $# -eq 0 ]]; then
	sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
	exit 2
fi
command -v perf >/dev/null || { echo "pg-cpu: perf is not installed" >&2; exit 1; }

data=${PG_CPU_DATA:-$(mktemp "${TMPDIR:-/tmp}/pg-cpu.XXXXXX")}
[[ -n ${PG_CPU_DATA:-} ]] || trap 'rm -f "$data"' EXIT

perf record -q -F "${PG_CPU_FREQ:-999}" -a -g -o "$data" -- "$@"

# perf script prints a sample as a header line, then one frame per line
# from the leaf to the root, then a blank line.
perf script -i "$data" --comm postgres 2>/dev/null | awk '
	BEGIN {
		# part, then the prefixes of the functions that mark it, in the
		# order a walk from the root tries them.
		n = split("autovacuum ANALYZE=analyze_rel;autovacuum VACUUM=heap_vacuum_rel;WAL writer=WalWriterMain;" \
			"background writer=BackgroundWriterMain;checkpointer=CheckpointerMain;connection start=InitPostgres;" \
			"commit=CommitTransactionCommand;begin=StartTransactionCommand;planning=pg_plan_queries,GetCachedPlan;" \
			"parse=exec_parse_message;bind=exec_bind_message;running statements=PortalRun;" \
			"reading client messages=pq_getbyte,pq_getmessage", parts, ";")
		for (i = 1; i <= n; i++) {
			split(parts[i], kv, "=")
			name[i] = kv[1]
			nf[i] = split(kv[2], fn, ",")
			for (j = 1; j <= nf[i]; j++) fns[i, j] = fn[j]
		}
	}
	function classify(   k, i, j, f) {
		for (k = depth; k >= 1; k--) {
			f = frame[k]
			for (i = 1; i <= n; i++)
				for (j = 1; j <= nf[i]; j++)
					if (index(f, fns[i, j]) == 1) return name[i]
		}
		return "other"
	}
	/^$/ { if (depth > 0) { count[classify()]++; total++ } depth = 0; header = 0; next }
	header == 0 { header = 1; next }
	{ frame[++depth] = $2 }
	END {
		if (depth > 0) { count[classify()]++; total++ }
		if (total == 0) { print "pg-cpu: no samples of a postgres process" > "/dev/stderr"; exit 1 }
		printf "PostgreSQL samples: %d\n", total
		sorter = "sort -rn | cut -f2-"
		for (p in count) printf "%d\t  %-26s %6d  %5.1f %%\n", count[p], p, count[p], 100 * count[p] / total | sorter
		close(sorter)
	}'
