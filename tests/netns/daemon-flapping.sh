#!/bin/sh
# A flapping link: ten quick up/downs of the default route while a
# large message goes out to a slow relay. Runs never overlap (each
# start in the log is followed by its end before the next start), their
# number stays bounded, and in the end the message arrives exactly once.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
. "$MM_TOP_SRCDIR/tests/netns/netns.sh"
. "$MM_TOP_SRCDIR/tests/netns/daemon-lib.sh"
nd_enter_netns "$@"
dl_setup

dl_relay isp 10.0.0.2
dl_route isp "mail_host = \"10.0.0.2:$DL_PORT\""
mm_conf "query_routes.isp = \"$T/isp.route\""
# see daemon-hangup.sh: the client must still be writing when stopped
sysctl -q -w net.ipv4.tcp_wmem='4096 16384 65536' net.ipv4.tcp_rmem='4096 16384 65536' ||
	mm_fail "cannot set the socket buffers"
{
	printf 'Subject: big\n\n'
	/usr/bin/python3 -c 'import sys
for i in range(26000): sys.stdout.write("%05d %s\n" % (i, "x" * 72))'
} | dl_queue "$MM_USER@test.example" far@remote.example
touch "$T/isp/slow"

dl_daemon
dl_dial ppp0 10.0.0.1 10.0.0.2
i=0
while [ $i -lt 10 ]; do
	ip route add default dev ppp0
	sleep 0.05
	ip route del default dev ppp0
	sleep 0.05
	i=$((i + 1))
done
rm -f "$T/isp/slow"
ip route add default dev ppp0
mm_wait_for "[ \$(dl_count isp) -ge 1 ]" 20
mm_wait_for "[ -z \"\$(mm_queued_ids)\" ]" 5
mm_wait_for "grep -q 'run: isp finished' '$DL_LOG'" 5

runs=$(grep -c 'run: isp started' "$DL_LOG")
online=$(grep -c 'link: profile isp online' "$DL_LOG")
echo "# $online times online, $runs runs"
assert_eq "$online" 11 "the daemon saw every dial-up"
[ "$runs" -ge 1 ] && [ "$runs" -le "$online" ]
assert_status 0 $? "at most one run per time online ($runs runs)"
overlap=$(awk '/run: isp started/ { if (going) bad = 1; going = 1 }
	/run: isp (finished|stopped:)/ { if (!going) bad = 1; going = 0 }
	END { print bad ? "overlap" : "none" }' "$DL_LOG")
assert_eq "$overlap" "none" "each run ended before the next one started"
assert_eq "$(dl_count isp)" 1 "the message arrived exactly once"
assert_eq "$(mm_queued_ids)" "" "the queue is empty"
dl_stop_daemon
mm_pass
