#!/bin/sh
# A fault at every write of the sendmail command line's intake: for each
# system call that puts a message into the spool (write, writev, pwrite,
# openat and rename fail with ENOSPC or EIO, fsync and fdatasync with
# EIO) and each N = 1, 2, ... until a run no longer makes an Nth call,
# the Nth call fails. Every run ends either with exit 0 and the whole
# message in the spool, or with exit 75 (EX_TEMPFAIL) and nothing in the
# spool at all; a fault on a spool file always fails the submission;
# nothing crashes. FAULT_ROUNDS=K repeats the matrix with K messages of
# growing size (tests/stress/faults.sh does).
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
. "$MM_TOP_SRCDIR/tests/lib/fault-lib.sh"
fault_strace_ok
mm_setup

SPECS="write:error=ENOSPC writev:error=ENOSPC pwrite64:error=ENOSPC
openat:error=ENOSPC openat:error=EACCES rename:error=EIO renameat2:error=ENOSPC
fsync:error=EIO fdatasync:error=EIO"
ROUNDS=${FAULT_ROUNDS:-1}
FAULT_BODY_END="end of the body"
accepted=0
refused=0
crashes=0
lost=0

round=0
while [ $round -lt "$ROUNDS" ]; do
	round=$((round + 1))
	/usr/bin/python3 -c '
import sys
n = int(sys.argv[1])
sys.stdout.write("Subject: fault %d\n\n" % n)
for i in range(1 + (n - 1) * 700):
    sys.stdout.write("line %05d of the message\n" % i)
sys.stdout.write("end of the body\n")
' "$round" >"$T/msg"
	FAULT_STDIN="$T/msg"
	for spec in $SPECS; do
		n=0
		while :; do
			n=$((n + 1))
			rm -rf "$T/spool/input"
			fault_run "$spec" "$n" "$MASQMAIL" -C "$MM_CONF" -odq -f sender@example.org rcpt@remote.example
			[ "$FAULT_HIT" = 1 ] || break
			what="$spec when=$n"
			hit=$(grep '(INJECTED)' "$T/trace" | head -n 1)
			crash=$(fault_crashed "$T/trace" "$T/err")
			if [ -n "$crash" ]; then
				crashes=$((crashes + 1))
				fault_case 0 "$what: crashed: $crash"
				continue
			fi
			problems=$(fault_spool_problems "$T/spool/input")
			fault_case "$([ -z "$problems" ] && echo 1)" "$what: spool: $problems"
			queued=$(ls "$T/spool/input" 2>/dev/null | grep -c -- '-H$')
			case "$FAULT_STATUS" in
			0)
				accepted=$((accepted + 1))
				[ "$queued" = 1 ] || lost=$((lost + 1))
				fault_case "$([ "$queued" = 1 ] && echo 1)" "$what: exit 0 but $queued messages queued"
				case "$hit" in
				*/spool/*) fault_case 0 "$what: a fault on a spool file, yet exit 0: $hit" ;;
				esac
				;;
			75)
				refused=$((refused + 1))
				fault_case "$([ "$queued" = 0 ] && echo 1)" "$what: exit 75 but $queued messages queued"
				fault_case "$(grep -q '^masqmail: ' "$T/err" && echo 1)" \
					"$what: no reason on stderr: $(head -c 300 "$T/err")"
				;;
			127)
				# the dynamic loader failed to open a library:
				# masqmail never ran
				fault_case "$(grep -q 'error while loading shared libraries' "$T/err" && echo 1)" \
					"$what: exit 127: $(head -c 300 "$T/err")"
				;;
			73 | 78)
				# a configuration or log file that may not be
				# read is a mistake of the set-up, no passing fault
				case "$spec $FAULT_STATUS $hit" in
				*EACCES\ 78\ *masqmail.conf*) ok=1 ;;
				*EACCES\ 73\ */log/masqmail.log*) ok=1 ;;
				*) ok=0 ;;
				esac
				fault_case $ok "$what: exit $FAULT_STATUS: $(head -c 300 "$T/err") [$hit]"
				;;
			*)
				fault_case 0 "$what: exit $FAULT_STATUS: $(head -c 300 "$T/err") [$hit]"
				;;
			esac
		done
	done
done
echo "# $FAULT_CASES cases checked: $accepted accepted, $refused refused with 75, $crashes crashes"
fault_counts $accepted 0 $lost 0 $crashes

assert_eq "$([ "$FAULT_CASES" -ge 20 ] && echo yes)" yes "the faults hit ($FAULT_CASES cases)"
mm_pass
