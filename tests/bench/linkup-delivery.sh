#!/bin/sh
# Link-up to delivery, with the daemon: the time from
# `ip route add default dev ppp0` (a simulated dial-up in a network
# namespace) to the relay accepting the daemon's connection, and to the
# relay having the first of the 10 messages queued before the dial-up,
# over N dial-ups (default 20). Prints each dial-up, then the median,
# the 95th percentile, min and max in milliseconds. Needs root.
#
#   cd BUILDDIR && make masqmail tests/netns/nd-dialer tests/netns/nd-monitor
#   MM_TOP_BUILDDIR=$PWD SRCDIR/tests/bench/linkup-delivery.sh [N]
#
# The start is taken just before `ip` is run, so the figures include
# the start of the ip process (about a millisecond). The relay is a
# small Python server on the peer address (tests/netns/daemon-lib.sh);
# it takes its time stamp when accept() returns.
. "$(dirname "$0")/../lib/lib.sh"
: "${MASQMAIL:=$MM_TOP_BUILDDIR/masqmail}"
. "$MM_TOP_SRCDIR/tests/netns/netns.sh"
. "$MM_TOP_SRCDIR/tests/netns/daemon-lib.sh"
nd_enter_netns "$@"
mm_require_cmd awk date
dl_setup

runs=${1:-20}
per_run=10
dl_relay isp 10.0.0.2
dl_route isp "mail_host = \"10.0.0.2:$DL_PORT\""
mm_conf "query_routes.isp = \"$T/isp.route\""
dl_daemon

n=0
: >"$T/times"
while [ $n -lt "$runs" ]; do
	n=$((n + 1))
	i=0
	while [ $i -lt $per_run ]; do
		printf 'Subject: %d.%d\n\nbody\n' $n $i | dl_queue "$MM_USER@test.example" "r$i@remote.example"
		i=$((i + 1))
	done
	nd_dial ppp0
	ip link set ppp0 up
	ip addr add 10.0.0.1 peer 10.0.0.2 dev ppp0
	conns=$(grep -c '^connect' "$T/isp/connections")
	msgs=$(grep -c '^message' "$T/isp/connections")
	start=$(date +%s%N)
	ip route add default dev ppp0
	mm_wait_for "[ \$(grep -c '^message' '$T/isp/connections') -ge $((msgs + per_run)) ]" 20 ||
		mm_fail "dial-up $n: the messages did not arrive within 20 s"
	conn=$(grep '^connect' "$T/isp/connections" | sed -n "$((conns + 1))p" | cut -d' ' -f2)
	first=$(grep '^message' "$T/isp/connections" | sed -n "$((msgs + 1))p" | cut -d' ' -f2)
	last=$(grep '^message' "$T/isp/connections" | sed -n "$((msgs + per_run))p" | cut -d' ' -f2)
	echo "$start $conn $first $last" | awk -v n=$n '{
		s = $1 / 1e9
		printf "dial-up %d: connection %.2f ms, first message %.2f ms, all %d %.2f ms\n",
			n, ($2 - s) * 1000, ($3 - s) * 1000, '$per_run', ($4 - s) * 1000
		printf "%.3f %.3f\n", ($2 - s) * 1000, ($3 - s) * 1000 >> "'"$T/times"'"
	}'
	offline=$(grep -c 'link: profile isp offline: no link' "$DL_LOG")
	nd_hangup ppp0
	mm_wait_for "[ \$(grep -c 'link: profile isp offline: no link' '$DL_LOG') -gt $offline ]" 10 ||
		mm_fail "dial-up $n: not offline after hang-up"
	mm_wait_for "grep -c 'run: isp finished' '$DL_LOG' | grep -qx $n" 10 ||
		mm_fail "dial-up $n: the run did not finish"
done

for col in 1 2; do
	what=$([ $col -eq 1 ] && echo "to the connection" || echo "to the first message")
	cut -d' ' -f$col "$T/times" | sort -n | awk -v what="$what" '
		{ v[NR] = $1 }
		END {
			median = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			p95 = v[int(NR * 0.95 + 0.999)]
			printf "linkup-delivery %s: %d dial-ups, median %.2f ms, p95 %.2f ms, min %.2f ms, max %.2f ms\n",
				what, NR, median, p95, v[1], v[NR]
		}'
done
dl_stop_daemon >/dev/null
exit 0
