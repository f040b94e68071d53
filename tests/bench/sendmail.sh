#!/bin/sh
# The sendmail command line (issue 7, benchmark 5): N sequential
# submissions (default 500) of a small message with masqmail's
# `sendmail -odq` on a test configuration and with Postfix's
# `sendmail -C DIR` (postdrop into a private instance's maildrop), R
# runs each (default 5); for reference also `masqmail -odq`, the same
# submission through the full program. A Python driver times each
# submission alone (process start to exit); per run the median time per
# message is taken, and over the runs the median, min and max of those.
# Prints them and the ratio sendmail/Postfix. Needs root.
#
#   cd BUILDDIR && SRCDIR/tests/bench/sendmail.sh [N] [RUNS]
: "${MASQMAIL:=$PWD/masqmail}"
: "${SENDMAIL:=$PWD/sendmail}"
. "$(dirname "$0")/../lib/lib.sh"
. "$MM_TOP_SRCDIR/tests/bench/bench-lib.sh"
bench_setup
N=${1:-500}
RUNS=${2:-5}

pf_setup 25
# The queue manager and pickup stay off: the benchmark is the
# submission alone, as masqmail's -odq queues and nothing takes the
# messages on. A running pickup moves each message out of the maildrop
# while the next side submits, and its removals slow the next side's
# file creations (see the wait below): by up to 0.5 ms per message, on
# either side. postdrop then warns that it cannot wake pickup; the
# drivers send standard error to /dev/null.
postconf -c "$PF_CONF" -e "master_service_disable = qmgr/unix pickup/unix" "in_flow_delay = 0"
pf_start
printf 'From: bench@bench.example\nTo: rcpt@remote.example\nSubject: command line\n\n%s\n' \
	"$(head -c 1500 /dev/zero | tr '\0' x)" >"$T/msg"

cat >"$T/drive.py" <<'PY'
import statistics, subprocess, sys, time
n, msg, argv = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
times = []
for _ in range(n):
    with open(msg, "rb") as f:
        t0 = time.perf_counter()
        r = subprocess.run(argv, stdin=f, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - t0)
    if r.returncode != 0:
        sys.exit("exit status %d: %s" % (r.returncode, " ".join(argv)))
print("%.3f" % (statistics.median(times) * 1000))
PY

# One side's N submissions; each must add N messages to its queue.
# Nothing is deleted between runs: on ext4 every file created within a
# minute of a mass deletion pays for a scan of the recently freed
# inodes (tests/bench/README, Intake), and masqmail, which has two
# files per message to Postfix's one, would pay twice. The three sides
# take turns in going first.
submit() {
	case $1 in
	sm)
		before=$(mm_queued_ids | wc -l)
		"$BENCH_PY" "$T/drive.py" "$N" "$T/msg" "$SENDMAIL" -C "$MM_CONF" -odq -f bench@test.example \
			rcpt@remote.example >>"$T/sm.ms" || mm_fail "sendmail -odq"
		[ "$(mm_queued_ids | wc -l)" -eq $((before + N)) ] || mm_fail "sendmail did not queue $N"
		;;
	mm)
		before=$(mm_queued_ids | wc -l)
		"$BENCH_PY" "$T/drive.py" "$N" "$T/msg" "$MASQMAIL" -C "$MM_CONF" -odq -f bench@test.example \
			rcpt@remote.example >>"$T/mm.ms" || mm_fail "masqmail -odq"
		[ "$(mm_queued_ids | wc -l)" -eq $((before + N)) ] || mm_fail "masqmail did not queue $N"
		;;
	pf)
		"$BENCH_PY" "$T/drive.py" "$N" "$T/msg" sendmail -C "$PF_CONF" -f bench@bench.example \
			rcpt@remote.example >>"$T/pf.ms" || mm_fail "postfix sendmail"
		;;
	esac
}

# ext4 without a journal (as here) makes every new inode skip those
# freed in the last 60 seconds, scanning them at each creation: right
# after a benchmark has removed its temporary directory, a submission
# takes up to twice as long on both sides. BENCH_SETTLE=0 skips the wait.
sleep "${BENCH_SETTLE:-60}"
: >"$T/sm.ms"; : >"$T/mm.ms"; : >"$T/pf.ms"
run=0
while [ $run -lt "$RUNS" ]; do
	run=$((run + 1))
	case $((run % 3)) in
	1) order="sm mm pf" ;;
	2) order="pf sm mm" ;;
	0) order="mm pf sm" ;;
	esac
	for side in $order; do
		submit "$side"
	done
	echo "run $run ($order): sendmail $(tail -n 1 "$T/sm.ms"), masqmail $(tail -n 1 "$T/mm.ms"), Postfix $(tail -n 1 "$T/pf.ms") ms/message"
done
bench_machine
echo "sendmail x $N, masqmail's sendmail -odq: ms/message $(stats "$T/sm.ms")"
echo "sendmail x $N, masqmail -odq (reference): ms/message $(stats "$T/mm.ms")"
echo "sendmail x $N, Postfix sendmail: ms/message $(stats "$T/pf.ms")"
echo "sendmail ratio sendmail/Postfix (medians): $(awk -v a="$(median "$T/sm.ms")" -v b="$(median "$T/pf.ms")" 'BEGIN { printf "%.2f", a / b }') (target <= 0.25)"
echo "masqmail -odq ratio (reference): $(awk -v a="$(median "$T/mm.ms")" -v b="$(median "$T/pf.ms")" 'BEGIN { printf "%.2f", a / b }')"
exit 0
