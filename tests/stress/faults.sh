#!/bin/sh
# The whole fault matrix, more of it than the suite runs: every write,
# open, rename and fsync of intake and local delivery failed in turn
# (three message sizes), descriptor and memory limits and a daemon short
# of descriptors, and relay faults at every step with every action, on
# every message of a connection carrying four, with and without
# PIPELINING/CHUNKING; a fault at every write of an SMTP session into the
# daemon. Prints at the end
#
#   cases N  accepted N  delivered N  lost N  duplicated N  crashes N
#
# one per line, and exits non-zero when a scenario failed or lost or
# crashes is not 0. Run from the build directory:
#
#   MM_TOP_SRCDIR=/path/to/src sh /path/to/src/tests/stress/faults.sh
#
# Takes about 17 minutes on 2 cores (five of them one greeting that
# never ends); as root for the parts that mount.
: "${MM_TOP_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${MM_TOP_BUILDDIR:=$(pwd)}"
export MM_TOP_SRCDIR MM_TOP_BUILDDIR
FAULT_COUNTS=$(mktemp "${TMPDIR:-/tmp}/mm-faults-counts.XXXXXX")
export FAULT_COUNTS
trap 'rm -f "$FAULT_COUNTS"' EXIT
failed=""

run() {
	name=$1
	shift
	echo "== $name"
	env "$@" sh "$MM_TOP_SRCDIR/tests/integration/$name.sh" >"$FAULT_COUNTS.out" 2>&1
	status=$?
	grep -E '^(not ok|#|PASS|FAIL|SKIP)' "$FAULT_COUNTS.out" | head -n 60
	case $status in
	0) ;;
	77) echo "   skipped" ;;
	*) failed="$failed $name" ;;
	esac
	rm -f "$FAULT_COUNTS.out"
}

run fault-sendmail FAULT_ROUNDS=3
run fault-local
run fault-limits
run fault-smtpd

actions="421 450 451 452 550 552 554 close slow nocode wrongcode endless long binary"
cases=""
for step in greeting ehlo; do
	for a in $actions; do cases="$cases $step:$a"; done
done
for a in $actions; do cases="$cases rcpt:$a:b@*"; done
for pos in 1 2 4; do
	for step in mail data dot; do
		for a in $actions; do cases="$cases $step:$a:$pos"; done
	done
	cases="$cases text:close:$pos"
done
# a greeting that never ends: the client's five-minute limit for the
# greeting ends it (once: it takes that long)
run fault-relay FAULT_MESSAGES=4 FAULT_RELAY_CASES="$cases greeting:dribble" FAULT_RELAY_PLAIN_CASES="$cases"

awk '{ for (i = 1; i < NF; i += 2) sum[$i] += $(i + 1) }
END {
	n = split("cases accepted delivered lost duplicated crashes", k, " ")
	for (i = 1; i <= n; i++) printf "%s %d\n", k[i], sum[k[i]]
}' "$FAULT_COUNTS" >"$FAULT_COUNTS.sum"
cat "$FAULT_COUNTS.sum"
lost=$(sed -n 's/^lost //p' "$FAULT_COUNTS.sum")
crashes=$(sed -n 's/^crashes //p' "$FAULT_COUNTS.sum")
rm -f "$FAULT_COUNTS.sum"
[ -z "$failed" ] || echo "failed scenarios:$failed"
[ -z "$failed" ] && [ "$lost" = 0 ] && [ "$crashes" = 0 ]
