#!/bin/sh
# A flapping link: ten quick hang-ups and redials, then ten quick
# down/ups of the interface. The number of evaluations stays bounded (no
# more than one per change the kernel reports; bursts coalesce), and the
# verdict ends right: online after the carrier flaps, offline after the
# interface flaps (the kernel drops an IPv4 route when its link goes
# down), online again with a new route.
#
# The kernel itself delays and merges carrier changes (linkwatch, up to
# a second), so quick hang-ups mostly show as few events; changes of the
# interface's up flag are reported one by one.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
. "$MM_TOP_SRCDIR/tests/netns/netns.sh"
nd_enter_netns "$@"
mm_setup

ip tuntap add dev ppp0 mode tun || mm_fail "ip tuntap add"
nd_monitor dialup
nd_dial ppp0
ip link set ppp0 up
ip addr add 10.0.0.1 peer 10.0.0.2 dev ppp0
ip route add default dev ppp0
nd_expect 'online dialup ppp0'

before=$(nd_evals)
n=0
while [ $n -lt 10 ]; do
	nd_hangup ppp0
	nd_dial ppp0
	n=$((n + 1))
done
nd_expect 'online dialup ppp0'
sleep 0.5
after=$(nd_evals)
flaps=$((after - before))
echo "# carrier flapping: $flaps evaluations for 20 changes"
# at most one per carrier change, and a couple of bursts more
[ "$flaps" -ge 1 ] && [ "$flaps" -le 22 ]
assert_status 0 $? "carrier flapping gives a bounded number of evaluations"
assert_eq "$(nd_state dialup)" 'online dialup ppp0' "online after the carrier flapping"

before=$(nd_evals)
n=0
while [ $n -lt 10 ]; do
	printf 'link set ppp0 down\nlink set ppp0 up\n'
	n=$((n + 1))
done >"$T/flap.batch"
ip -batch "$T/flap.batch" || mm_fail "ip -batch"
nd_expect 'offline dialup: ppp0 has no default route'
sleep 0.5
after=$(nd_evals)
flaps=$((after - before))
echo "# interface flapping: $flaps evaluations for 20 changes"
# at most one per up/down and one per IPv6 link-local address that the
# kernel removes and adds with it
[ "$flaps" -ge 1 ] && [ "$flaps" -le 42 ]
assert_status 0 $? "interface flapping gives a bounded number of evaluations"
assert_eq "$(nd_state dialup)" 'offline dialup: ppp0 has no default route' "the flushed route is not resurrected"

ip route add default dev ppp0
nd_expect 'online dialup ppp0'
nd_finish
mm_pass
