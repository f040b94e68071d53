#!/bin/sh
# Scaling (issue 7, benchmark 7): flush and intake at several queue
# lengths (default 10 100 1000 10000), R runs each (default 5), side by
# side with Postfix: runs flush.sh and intake.sh (10 sessions) for each
# length and prints the time per message, which must not grow with
# the length. Intake at length L starts from an empty queue and ends
# with L queued messages. Needs root.
#
#   cd BUILDDIR && SRCDIR/tests/bench/scaling.sh [RUNS] [LENGTHS...]
: "${MASQMAIL:=$PWD/masqmail}"
export MASQMAIL
dir=$(dirname "$0")
RUNS=${1:-5}
[ $# -gt 1 ] && shift && LENGTHS=$* || LENGTHS="10 100 1000 10000"
for n in $LENGTHS; do
	"$dir/flush.sh" "$n" "$RUNS" 2>/dev/null | grep '^flush [0-9].*msg/s' |
		sed -n 's/^flush \([0-9]*\) x [0-9]* B, \(.*\): msg\/s median \([0-9.e+]*\) min \([0-9.e+]*\) max \([0-9.e+]*\).*/\1 \2 \3 \4 \5/p' |
		awk '{ name = $2 " " $3; printf "scaling flush %6d, %-14s: ms/message median %.3f min %.3f max %.3f\n",
			$1, name, 1000 / $4, 1000 / $6, 1000 / $5 }'
	"$dir/intake.sh" "$n" "$RUNS" 10 2>/dev/null | grep '^intake -s 10 -m .*msg/s' |
		sed -n 's/^intake -s 10 -m \([0-9]*\) -l [0-9]*, \(.*\): msg\/s median \([0-9.e+]*\) min \([0-9.e+]*\) max \([0-9.e+]*\).*/\1 \2 \3 \4 \5/p' |
		awk '{ printf "scaling intake %5d, %-14s: ms/message median %.3f min %.3f max %.3f\n",
			$1, $2, 1000 / $3, 1000 / $5, 1000 / $4 }'
done
exit 0
