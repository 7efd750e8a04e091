#!/usr/bin/env bash
# pgtest.sh: a throw-away PostgreSQL server for the tests.
#
#   eval "$(scripts/pgtest.sh start)"   # prints TEST_DATABASE_URL=...
#   go test -race ./postgres/...
#   scripts/pgtest.sh stop
#
#   scripts/pgtest.sh run -- go test ./...   # start, run the command, stop
#   scripts/pgtest.sh url                     # print the running server's URL
#
# start makes a fresh cluster with initdb in a temporary directory, trusts
# connections from loopback only, listens on 127.0.0.1 on a free port, starts
# it and waits until it answers. It writes the directory, port and binaries to
# a state file so that stop finds them; stop shuts the server down and removes
# the directory. Only the TEST_DATABASE_URL line goes to stdout; everything
# else goes to stderr, so `eval "$(scripts/pgtest.sh start)"` is safe.
#
# initdb and postgres refuse to run as root. Run as root (CI, the dev
# container), the script runs them as the `postgres` OS user (created if
# missing) in a directory that user owns; run as anyone else, as that user.
#
# Environment:
#   PGTEST_STATE  state file (default: ${TMPDIR:-/tmp}/herald-pgtest-$UID.state).
#                 Set it to run several servers side by side.
#   PGTEST_BIN    directory holding initdb and pg_ctl (default: the newest
#                 /usr/lib/postgresql/*/bin, 15 preferred, else $PATH).
set -euo pipefail

readonly WAIT_SECONDS=30
readonly STATE="${PGTEST_STATE:-${TMPDIR:-/tmp}/herald-pgtest-$(id -u).state}"

die() { echo "pgtest: $*" >&2; exit 1; }
log() { echo "pgtest: $*" >&2; }

# find_bin sets BIN to a directory holding initdb and pg_ctl, or returns 1.
find_bin() {
	local d
	for d in "${PGTEST_BIN:-}" /usr/lib/postgresql/15/bin $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -rV); do
		if [[ -n "$d" && -x "$d/initdb" && -x "$d/pg_ctl" ]]; then
			BIN="$d"
			return 0
		fi
	done
	if command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
		BIN="$(dirname "$(command -v initdb)")"
		return 0
	fi
	return 1
}

# install_postgres installs the server from Debian packages. Only root can,
# and only where apt-get exists; anywhere else the caller is told what to do.
install_postgres() {
	if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
		die "PostgreSQL binaries (initdb, pg_ctl) not found; install PostgreSQL 15 (apt-get install postgresql-15) or set PGTEST_BIN"
	fi
	log "PostgreSQL binaries not found; installing them with apt-get"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2 || die "apt-get update failed"
	apt-get install -y -qq postgresql-15 >&2 || apt-get install -y -qq postgresql >&2 ||
		die "apt-get install postgresql failed"
}

# as_owner runs a command as the cluster's owner: the postgres OS user when
# we are root (initdb and postgres refuse root), else ourselves.
as_owner() {
	if [[ $(id -u) -eq 0 ]]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

ensure_os_user() {
	[[ $(id -u) -eq 0 ]] || return 0
	if ! id postgres >/dev/null 2>&1; then
		log "creating the postgres system user"
		useradd --system --user-group --home-dir /var/lib/postgresql --shell /bin/bash postgres ||
			die "cannot create the postgres OS user"
	fi
}

# port_free reports whether nothing accepts connections on 127.0.0.1:$1.
# A race with another process taking the port is still possible; start then
# fails and the caller tries another port.
port_free() {
	! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

running() {
	[[ -f "$STATE" ]] || return 1
	# shellcheck disable=SC1090
	( source "$STATE" && as_owner "$BIN_DIR/pg_ctl" status -D "$DATA_DIR" >/dev/null 2>&1 )
}

url_for() { echo "postgres://postgres@127.0.0.1:$1/postgres?sslmode=disable"; }

cmd_start() {
	if running; then
		# shellcheck disable=SC1090
		source "$STATE"
		log "already running (data in $DATA_DIR); reusing it"
		echo "TEST_DATABASE_URL=$(url_for "$PORT")"
		return 0
	fi
	rm -f "$STATE"
	find_bin || { install_postgres; find_bin || die "PostgreSQL installed but initdb not found"; }
	ensure_os_user

	local dir
	dir="$(mktemp -d "${TMPDIR:-/tmp}/herald-pgtest.XXXXXX")"
	# The cluster owner must own its directory, and must be able to reach
	# it: mktemp makes it 0700, which is what postgres wants for data.
	if [[ $(id -u) -eq 0 ]]; then
		chown postgres:postgres "$dir"
	fi
	local data="$dir/data" logfile="$dir/postgres.log"

	# --auth trust: no passwords in tests. It is safe only because the
	# server listens on loopback alone (listen_addresses below) and its
	# socket sits in a directory only the owner can enter.
	if ! as_owner "$BIN/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
		--no-sync >"$dir/initdb.log" 2>&1; then
		cat "$dir/initdb.log" >&2
		rm -rf "$dir"
		die "initdb failed"
	fi
	# pg_hba: loopback TCP and the private socket only; nothing else can
	# connect even if listen_addresses were widened by mistake.
	as_owner tee "$data/pg_hba.conf" >/dev/null <<-EOF
		local all all              trust
		host  all all 127.0.0.1/32 trust
	EOF
	# Settings for a disposable test server:
	#  - listen_addresses: loopback only (trust auth above).
	#  - unix_socket_directories: our temp dir, not /var/run/postgresql,
	#    which may not exist or may belong to a system server.
	#  - max_connections: parallel tests each open a pool (storetest runs
	#    many tests at once, each with a few connections).
	#  - fsync, synchronous_commit, full_page_writes off: durability across
	#    a crash of a throw-away cluster is worthless, and commits get ~10x
	#    cheaper. Never copy these to production.
	#  - shared_buffers: small; tests hold little data.
	#  - autovacuum_naptime: tests and benchmarks live seconds, not hours;
	#    check every second so tables get the statistics and vacuuming a
	#    long-running server would have.
	as_owner tee -a "$data/postgresql.conf" >/dev/null <<-EOF

		# herald pgtest.sh
		listen_addresses = '127.0.0.1'
		unix_socket_directories = '$dir'
		max_connections = 200
		shared_buffers = 128MB
		fsync = off
		synchronous_commit = off
		full_page_writes = off
		autovacuum_naptime = 1s
		log_min_messages = warning
	EOF

	local port="" try
	for try in 1 2 3 4 5; do
		port=$(( (RANDOM << 15 | RANDOM) % 20000 + 30000 ))
		port_free "$port" || continue
		if as_owner "$BIN/pg_ctl" start -D "$data" -l "$logfile" -o "-p $port" -w -t "$WAIT_SECONDS" >/dev/null 2>&1; then
			break
		fi
		log "start on port $port failed (attempt $try):"
		tail -n 5 "$logfile" >&2 || true
		port=""
	done
	if [[ -z "$port" ]]; then
		rm -rf "$dir"
		die "could not start PostgreSQL"
	fi

	printf 'DIR=%q\nDATA_DIR=%q\nBIN_DIR=%q\nPORT=%q\n' "$dir" "$data" "$BIN" "$port" >"$STATE"

	# pg_ctl -w waited for startup; check that TCP answers too, bounded.
	local i
	for ((i = 0; i < WAIT_SECONDS * 10; i++)); do
		if "$BIN/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres 2>/dev/null; then
			log "PostgreSQL ($("$BIN/postgres" --version | awk '{print $3}')) on 127.0.0.1:$port, data in $data"
			echo "TEST_DATABASE_URL=$(url_for "$port")"
			return 0
		fi
		sleep 0.1
	done
	cmd_stop
	die "PostgreSQL did not accept connections within ${WAIT_SECONDS}s"
}

cmd_stop() {
	if [[ ! -f "$STATE" ]]; then
		log "no server recorded in $STATE; nothing to stop"
		return 0
	fi
	# shellcheck disable=SC1090
	source "$STATE"
	if as_owner "$BIN_DIR/pg_ctl" status -D "$DATA_DIR" >/dev/null 2>&1; then
		# fast: roll back open transactions and stop; immediate if that
		# hangs (a stuck test holding a connection does not block stop).
		as_owner "$BIN_DIR/pg_ctl" stop -D "$DATA_DIR" -m fast -w -t "$WAIT_SECONDS" >/dev/null 2>&1 ||
			as_owner "$BIN_DIR/pg_ctl" stop -D "$DATA_DIR" -m immediate -w -t "$WAIT_SECONDS" >/dev/null 2>&1 ||
			die "could not stop the server in $DATA_DIR"
	fi
	case "$DIR" in
	*/herald-pgtest.*) rm -rf "$DIR" ;;
	*) die "refusing to remove unexpected directory $DIR" ;;
	esac
	rm -f "$STATE"
	log "stopped and removed $DIR"
}

cmd_url() {
	running || die "no server running (state: $STATE)"
	# shellcheck disable=SC1090
	source "$STATE"
	echo "TEST_DATABASE_URL=$(url_for "$PORT")"
}

cmd_run() {
	[[ "${1:-}" == "--" ]] && shift
	[[ $# -gt 0 ]] || die "usage: pgtest.sh run -- command [args...]"
	local line
	line="$(cmd_start)"
	trap cmd_stop EXIT
	export "${line?}"
	"$@"
}

case "${1:-}" in
start) cmd_start ;;
stop) cmd_stop ;;
url) cmd_url ;;
run) shift; cmd_run "$@" ;;
*) die "usage: pgtest.sh start|stop|url|run -- command" ;;
esac
