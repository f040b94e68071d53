#!/bin/sh
# Link-up benchmark of libnetdetect alone: the time from
# `ip route add default dev ppp0` (a simulated dial-up in a network
# namespace) to the watcher and matcher reporting the provider online,
# over N dial-ups (default 20). Prints each time, then the median, the
# 95th percentile, min and max in microseconds. Needs root.
#
#   cd BUILDDIR && make tests/netns/nd-monitor tests/netns/nd-dialer
#   MM_TOP_BUILDDIR=$PWD SRCDIR/tests/bench/linkup-netdetect.sh [N]
#
# The start is taken just before `ip` is run, so the figure includes the
# start of the ip process (about a millisecond); the end is the time the
# monitor printed "online". The full link-up-to-relay benchmark, with
# the daemon, is another script.
. "$(dirname "$0")/../lib/lib.sh"
. "$MM_TOP_SRCDIR/tests/netns/netns.sh"
nd_enter_netns "$@"
mm_setup

runs=${1:-20}
mm_require_cmd awk date
nd_monitor -t dialup

n=0
: >"$T/times"
while [ $n -lt "$runs" ]; do
	n=$((n + 1))
	nd_dial ppp0
	ip link set ppp0 up
	ip addr add 10.0.0.1 peer 10.0.0.2 dev ppp0
	lines=$(grep -c '^T=.* online dialup ppp0$' "$ND_EVENTS")
	start=$(date +%s%N)
	ip route add default dev ppp0
	ipdone=$(date +%s%N)
	mm_wait_for "[ \$(grep -c '^T=.* online dialup ppp0\$' '$ND_EVENTS') -gt $lines ]" 10 ||
		mm_fail "dial-up $n: not online within 10 s"
	end=$(grep '^T=.* online dialup ppp0$' "$ND_EVENTS" | tail -n 1 | sed 's/^T=\([0-9]*\) .*/\1/')
	us=$(( end - start / 1000 ))
	echo "dial-up $n: $us us (the ip command itself: $(( (ipdone - start) / 1000 )) us)"
	echo "$us" >>"$T/times"
	# hang-up: the transient device goes, and with it address and route
	nd_hangup ppp0
	mm_wait_for "grep -q '^T=.* offline dialup: no link' '$ND_EVENTS' &&
		[ \"\$(grep -E '^T=.* (online|offline) dialup' '$ND_EVENTS' | tail -n 1 | cut -d' ' -f2)\" = offline ]" 10 ||
		mm_fail "dial-up $n: not offline after hang-up"
done

sort -n "$T/times" | awk '
	{ v[NR] = $1 }
	END {
		median = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		p95 = v[int(NR * 0.95 + 0.999)]
		printf "linkup-netdetect: %d dial-ups, median %d us, p95 %d us, min %d us, max %d us\n",
			NR, median, p95, v[1], v[NR]
	}'
exit 0
