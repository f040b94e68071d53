#!/bin/sh
# SMTP intake (issue 7, benchmark 4): `smtp-source -s S -m N -l 5000`
# into masqmail's daemon queuing only (do_queue) and into a private
# Postfix's smtpd, R runs each (default 5), for S = 10 and S = 50
# sessions (default). Both fsync each message before its 250: the
# spools are on the real disk (BENCH_TMPDIR, default /var/tmp), not a
# tmpfs. Postfix queues only too: its queue manager is disabled
# (master_service_disable), so nothing is delivered while it takes mail
# in. Prints messages per second of both and the ratio. Needs root.
#
# Nothing is deleted between runs: each run's messages stay queued and
# are counted as the difference. On ext4 without a journal (as on the
# machine of tests/bench/README) a file creation skips every inode of
# its block group freed in the last minute (six while the inode table
# block is dirty), so deleting 2 x N spool files just before a run made
# every creation of that run scan them, about 1 ms each: the benchmark
# measured its own clean-up.
#
#   cd BUILDDIR && SRCDIR/tests/bench/intake.sh [N] [RUNS] [SESSIONS...]
: "${MASQMAIL:=$PWD/masqmail}"
. "$(dirname "$0")/../lib/lib.sh"
. "$MM_TOP_SRCDIR/tests/bench/bench-lib.sh"
bench_setup
N=${1:-2000}
RUNS=${2:-5}
[ $# -gt 2 ] && shift 2 && SESSIONS=$* || SESSIONS="10 50"
SIZE=${BENCH_SIZE:-5000}

mm_conf "do_queue = true" "smtp_max_sessions = 100" "smtp_max_sessions_per_client = 100"
mm_daemon
pf_setup 25
postconf -c "$PF_CONF" -e "master_service_disable = qmgr/unix" "in_flow_delay = 0" \
	"smtpd_client_connection_count_limit = 0" "smtpd_client_connection_rate_limit = 0"
pf_start

# $1 port, $2 sessions: prints messages per second
source_rate() {
	t0=$(now)
	smtp-source -s "$2" -m "$N" -l "$SIZE" -f bench@client.example -t rcpt@remote.example \
		-M client.example "127.0.0.1:$1" || mm_fail "smtp-source into port $1"
	t1=$(now)
	echo "$t0 $t1" | awk -v n="$N" '{ print n / ($2 - $1) }'
}

mm_run() {
	before=$(mm_queued_ids | wc -l)
	source_rate "$MM_PORT" "$1" >>"$T/mm.$1"
	got=$(($(mm_queued_ids | wc -l) - before))
	[ "$got" -eq "$N" ] || mm_fail "masqmail queued $got of $N"
}

pf_run() {
	before=$(pf_queued)
	source_rate "$PF_PORT" "$1" >>"$T/pf.$1"
	got=$(($(pf_queued) - before))
	[ "$got" -eq "$N" ] || mm_fail "Postfix queued $got of $N"
}

bench_machine
for s in $SESSIONS; do
	: >"$T/mm.$s"; : >"$T/pf.$s"
	run=0
	while [ $run -lt "$RUNS" ]; do
		run=$((run + 1))
		# who goes first alternates: the file system's state (what it
		# freed just before) weighs on the first
		if [ $((run % 2)) -eq 1 ]; then
			mm_run "$s"
			pf_run "$s"
		else
			pf_run "$s"
			mm_run "$s"
		fi
		echo "run $run, $s sessions: masqmail $(tail -n 1 "$T/mm.$s") msg/s, Postfix $(tail -n 1 "$T/pf.$s") msg/s"
	done
	echo "intake -s $s -m $N -l $SIZE, masqmail: msg/s $(stats "$T/mm.$s")"
	echo "intake -s $s -m $N -l $SIZE, Postfix: msg/s $(stats "$T/pf.$s")"
	echo "intake -s $s ratio masqmail/Postfix (medians): $(awk -v a="$(median "$T/mm.$s")" -v b="$(median "$T/pf.$s")" 'BEGIN { printf "%.2f", a / b }') (target >= 1.5)"
done
exit 0
