#!/bin/sh
# A hang-up in the middle of a large message: the daemon stops the
# transfer at once (it does not wait for TCP to notice), the message
# stays queued with its recipient pending, the relay has nothing, and
# the next dial-up sends it exactly once. Done twice: the route
# deleted, then the device deleted (pppd's hang-up).
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
. "$MM_TOP_SRCDIR/tests/netns/netns.sh"
. "$MM_TOP_SRCDIR/tests/netns/daemon-lib.sh"
nd_enter_netns "$@"
dl_setup

dl_relay isp 10.0.0.2
dl_route isp "mail_host = \"10.0.0.2:$DL_PORT\""
mm_conf "query_routes.isp = \"$T/isp.route\""

# about 2 MB: far more than the socket buffers hold while the relay
# reads slowly
big() {
	printf 'Subject: big\n\n'
	/usr/bin/python3 -c 'import sys
for i in range(26000): sys.stdout.write("%05d %s\n" % (i, "x" * 72))'
}
big | dl_queue "$MM_USER@test.example" far@remote.example
assert_status 0 $? "a large message is queued"
uid=$(mm_queued_ids)

touch "$T/isp/slow"
# The relay is on lo, where cutting the link does not cut the wire: a
# stopped client's socket would still hand the relay what it had
# buffered, the end of data included. Small socket buffers (of this
# namespace only) keep the client writing until it is stopped, as
# over a real line.
sysctl -q -w net.ipv4.tcp_wmem='4096 16384 65536' net.ipv4.tcp_rmem='4096 16384 65536' ||
	mm_fail "cannot set the socket buffers"
dl_daemon

# $1: how the line is cut; $2: the run's number
hangup_during_transfer() {
	mm_wait_for "[ \$(grep -c 'run: isp started' '$DL_LOG') -ge $2 ]" 10 || mm_fail "no run $2"
	mm_wait_for "[ \$(grep -c connect '$T/isp/connections') -ge $2 ]" 10 || mm_fail "no connection $2"
	# well into the message data
	sleep 1
	case $1 in
	route) ip route del default dev ppp0 ;;
	device) nd_hangup ppp0 ;;
	esac
	mm_wait_for "[ \$(grep -c 'run: isp stopped: the link went down' '$DL_LOG') -ge $2 ]" 5
	assert_eq "$(grep -c 'run: isp stopped: the link went down' "$DL_LOG")" "$2" \
		"hang-up ($1): the transfer is stopped at once"
	assert_eq "$(dl_count isp)" 0 "the relay has no message"
	assert_eq "$(mm_queued_ids)" "$uid" "the message stays queued"
	assert_contains "$(cat "$T/spool/input/$uid-H")" "RT: <far@remote.example>" \
		"its recipient is still pending, not marked delivered"
}

dl_dial ppp0 10.0.0.1 10.0.0.2
ip route add default dev ppp0
hangup_during_transfer route 1

ip route add default dev ppp0
hangup_during_transfer device 2

# the next dial-up, at full speed: out exactly once
rm -f "$T/isp/slow"
dl_dial ppp0 10.0.0.1 10.0.0.2
ip route add default dev ppp0
mm_wait_for "[ \$(dl_count isp) -ge 1 ]" 20
mm_wait_for "[ -z \"\$(mm_queued_ids)\" ]" 5
assert_eq "$(mm_queued_ids)" "" "after the next dial-up the queue is empty"
assert_eq "$(dl_count isp)" 1 "the message arrived exactly once"
assert_contains "$(dl_received isp)" "25999 xxxx" "and whole"
assert_contains "$(dl_log)" "run: isp finished messages=1 delivered=1 deferred=0 failed=0" "the last run says so"
dl_stop_daemon
mm_pass
