# Shared code of the integration scenarios (sourced, POSIX sh + bash ok).
#
# Each scenario runs in its own temporary directory $T with its own
# configuration $T/masqmail.conf, spool, logs and mail directory, and
# picks free ports, so scenarios can run in parallel. Everything a
# scenario starts is stopped on exit and $T removed (kept when it fails
# and MM_KEEP is set).
#
#   . "$MM_TOP_SRCDIR/tests/lib/lib.sh"
#   mm_setup                   # creates $T and $T/masqmail.conf
#   mm_conf 'do_queue = true'  # appends a line to the configuration
#   mm -odq user@localhost < msg
#   assert_eq "$(cat x)" "y" "what this checks"
#   mm_pass                    # at the end

set -u

: "${MM_TOP_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${MM_TOP_BUILDDIR:=$MM_TOP_SRCDIR}"
: "${MASQMAIL:=$MM_TOP_BUILDDIR/masqmail}"
# MM_VALGRIND=1: every masqmail process of the scenario under memcheck
if [ -n "${MM_VALGRIND:-}" ] && [ -z "${MM_VALGRIND_TARGET:-}" ]; then
	MM_VALGRIND_TARGET=$MASQMAIL
	MASQMAIL=$MM_TOP_SRCDIR/tests/lib/valgrind-run
	: "${MM_VALGRIND_DIR:=$MM_TOP_BUILDDIR/valgrind}"
	export MM_VALGRIND_TARGET MASQMAIL MM_VALGRIND_DIR
fi
MM_TEST_NAME=$(basename "$0" .sh)
MM_PIDS=""
MM_FAILED=0

mm_log() { printf '%s: %s\n' "$MM_TEST_NAME" "$*" >&2; }

mm_cleanup() {
	_mm_status=$?
	for _mm_pid in $MM_PIDS; do
		kill "$_mm_pid" 2>/dev/null
	done
	for _mm_pid in $MM_PIDS; do
		# give daemons a moment, then force
		_mm_i=0
		while kill -0 "$_mm_pid" 2>/dev/null && [ $_mm_i -lt 50 ]; do sleep 0.1; _mm_i=$((_mm_i + 1)); done
		kill -9 "$_mm_pid" 2>/dev/null
	done
	if [ -n "${T:-}" ] && [ -d "$T" ]; then
		if [ $_mm_status -ne 0 ] && [ $_mm_status -ne 77 ] && [ -n "${MM_KEEP:-}" ]; then
			mm_log "kept $T"
		else
			rm -rf "$T"
		fi
	fi
	exit $_mm_status
}
trap mm_cleanup EXIT
trap 'exit 1' INT TERM HUP

# Ends the scenario as skipped, with the reason in the log.
mm_skip() {
	echo "SKIP: $*"
	exit 77
}

mm_fail() {
	echo "FAIL: $*"
	exit 1
}

mm_pass() {
	if [ "$MM_FAILED" -ne 0 ]; then
		echo "$MM_FAILED assertion(s) failed"
		exit 1
	fi
	echo "PASS: $MM_TEST_NAME"
	exit 0
}

mm_require_root() {
	[ "$(id -u)" -eq 0 ] || mm_skip "needs root"
}

mm_require_cmd() {
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || mm_skip "needs $c (not installed)"
	done
}

# A TCP port that nobody listens on right now.
mm_free_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Creates $T with spool, log, lock, pid and mail directories and a
# configuration that keeps everything inside it.
mm_setup() {
	T=$(mktemp -d "${TMPDIR:-/tmp}/mm-$MM_TEST_NAME.XXXXXX")
	chmod 755 "$T"
	mkdir -p "$T/spool" "$T/log" "$T/lock" "$T/run" "$T/mail"
	MM_CONF="$T/masqmail.conf"
	MM_USER=$(id -un)
	cat >"$MM_CONF" <<EOC
host_name = "test.example"
local_hosts = "localhost;test.example"
spool_dir = "$T/spool"
log_dir = "$T/log"
lock_dir = "$T/lock"
pid_dir = "$T/run"
mail_dir = "$T/mail"
run_as_user = true
use_syslog = false
errmsg_file = "$MM_TOP_SRCDIR/conf/tpl/failmsg.tpl"
warnmsg_file = "$MM_TOP_SRCDIR/conf/tpl/warnmsg.tpl"
EOC
}

# Appends lines to the configuration.
mm_conf() {
	for line in "$@"; do
		printf '%s\n' "$line" >>"$MM_CONF"
	done
}

# Runs masqmail on the scenario's configuration.
mm() {
	"$MASQMAIL" -C "$MM_CONF" "$@"
}

# Starts a command in the background and remembers it for cleanup.
mm_bg() {
	"$@" &
	MM_PIDS="$MM_PIDS $!"
	MM_LAST_PID=$!
}

# Waits up to $2 seconds (default 10) until the shell condition $1 is true.
mm_wait_for() {
	_mm_cond=$1
	_mm_limit=$(( ${2:-10} * 10 ))
	# everything takes many times longer under valgrind
	[ -n "${MM_VALGRIND:-}" ] && _mm_limit=$((_mm_limit * 10))
	_mm_n=0
	while ! eval "$_mm_cond"; do
		_mm_n=$((_mm_n + 1))
		[ $_mm_n -ge $_mm_limit ] && return 1
		sleep 0.1
	done
	return 0
}

# Files of the spool's input directory that hold message envelopes.
mm_queued_ids() {
	ls "$T/spool/input" 2>/dev/null | sed -n 's/-H$//p'
}

# Runs a submission ("$@", the message on standard input) so that the
# message sorts after every one queued before it, as a queue run takes
# them. Ids sort by second, then by the submitting process's id, which
# wraps around at pid_max: within one second a later message can sort
# first. Such a message is removed and submitted again in the next
# second. For scenarios whose expectations follow the queue's order.
mm_submit_in_order() {
	_mm_msg=$(cat)
	while :; do
		_mm_before=$(mm_queued_ids | LC_ALL=C sort)
		printf '%s\n' "$_mm_msg" | "$@" || return $?
		_mm_new=$(mm_queued_ids | LC_ALL=C sort | grep -vxF "$_mm_before")
		[ -z "$_mm_before" ] && return 0
		[ "$(printf '%s\n%s\n' "$_mm_before" "$_mm_new" | LC_ALL=C sort | tail -n 1)" = "$_mm_new" ] &&
			return 0
		for _mm_id in $_mm_new; do
			rm -f "$T/spool/input/$_mm_id-H" "$T/spool/input/$_mm_id-D"
		done
		sleep 1
	done
}

assert_eq() {
	if [ "$1" = "$2" ]; then
		echo "ok - $3"
	else
		echo "not ok - $3"
		echo "#   got:      [$1]"
		echo "#   expected: [$2]"
		MM_FAILED=$((MM_FAILED + 1))
	fi
}

assert_contains() {
	case "$1" in
	*"$2"*) echo "ok - $3" ;;
	*)
		echo "not ok - $3"
		echo "#   [$2] not found in:"
		printf '%s\n' "$1" | sed 's/^/#     /' | head -40
		MM_FAILED=$((MM_FAILED + 1))
		;;
	esac
}

assert_not_contains() {
	case "$1" in
	*"$2"*)
		echo "not ok - $3"
		echo "#   [$2] unexpectedly found"
		MM_FAILED=$((MM_FAILED + 1))
		;;
	*) echo "ok - $3" ;;
	esac
}

# assert_status EXPECTED ACTUAL WHAT
assert_status() {
	assert_eq "$2" "$1" "$3 (exit status)"
}
