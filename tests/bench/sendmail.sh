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
# the queue manager stays off: the benchmark is the submission alone
postconf -c "$PF_CONF" -e "master_service_disable = qmgr/unix" "in_flow_delay = 0"
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
        r = subprocess.run(argv, stdin=f)
        times.append(time.perf_counter() - t0)
    if r.returncode != 0:
        sys.exit("exit status %d: %s" % (r.returncode, " ".join(argv)))
print("%.3f" % (statistics.median(times) * 1000))
PY

: >"$T/sm.ms"; : >"$T/mm.ms"; : >"$T/pf.ms"
run=0
while [ $run -lt "$RUNS" ]; do
	run=$((run + 1))
	rm -f "$T"/spool/input/*
	"$BENCH_PY" "$T/drive.py" "$N" "$T/msg" "$SENDMAIL" -C "$MM_CONF" -odq -f bench@test.example \
		rcpt@remote.example >>"$T/sm.ms" || mm_fail "sendmail -odq"
	[ "$(mm_queued_ids | wc -l)" -eq "$N" ] || mm_fail "sendmail queued $(mm_queued_ids | wc -l) of $N"
	rm -f "$T"/spool/input/*
	"$BENCH_PY" "$T/drive.py" "$N" "$T/msg" "$MASQMAIL" -C "$MM_CONF" -odq -f bench@test.example \
		rcpt@remote.example >>"$T/mm.ms" || mm_fail "masqmail -odq"
	[ "$(mm_queued_ids | wc -l)" -eq "$N" ] || mm_fail "masqmail queued $(mm_queued_ids | wc -l) of $N"
	postsuper -c "$PF_CONF" -d ALL >/dev/null 2>&1
	"$BENCH_PY" "$T/drive.py" "$N" "$T/msg" sendmail -C "$PF_CONF" -f bench@bench.example \
		rcpt@remote.example >>"$T/pf.ms" || mm_fail "postfix sendmail"
	echo "run $run: sendmail $(tail -n 1 "$T/sm.ms"), masqmail $(tail -n 1 "$T/mm.ms"), Postfix $(tail -n 1 "$T/pf.ms") ms/message"
done
bench_machine
echo "sendmail x $N, masqmail's sendmail -odq: ms/message $(stats "$T/sm.ms")"
echo "sendmail x $N, masqmail -odq (reference): ms/message $(stats "$T/mm.ms")"
echo "sendmail x $N, Postfix sendmail: ms/message $(stats "$T/pf.ms")"
echo "sendmail ratio sendmail/Postfix (medians): $(awk -v a="$(median "$T/sm.ms")" -v b="$(median "$T/pf.ms")" 'BEGIN { printf "%.2f", a / b }') (target <= 0.25)"
echo "masqmail -odq ratio (reference): $(awk -v a="$(median "$T/mm.ms")" -v b="$(median "$T/pf.ms")" 'BEGIN { printf "%.2f", a / b }')"
exit 0
