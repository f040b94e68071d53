#!/bin/sh
# Two providers on dial-up links told apart by the peer address (the
# same ppp0 with another peer) and by the interface name (ppp* against
# ippp*), and both online at once when both links are up.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
. "$MM_TOP_SRCDIR/tests/netns/netns.sh"
nd_enter_netns "$@"
mm_setup

# dial ppp-like device $1 with local $2, peer $3 and a default route of metric $4
dial() {
	nd_dial "$1"
	ip link set "$1" up
	ip addr add "$2" peer "$3" dev "$1"
	ip route add default dev "$1" metric "$4"
}

nd_monitor 'isp-a,peer=10.0.0.2' 'isp-b,peer=10.64.64.64/32' \
	'dsl,interfaces=ppp*' 'isdn,interfaces=ippp*'

# by peer address
dial ppp0 10.0.0.1 10.64.64.64 10
nd_expect 'online isp-b ppp0'
nd_expect 'offline isp-a: ppp0 has no peer address in 10.0.0.2'
nd_expect 'online dsl ppp0'
nd_expect 'offline isdn: no link matches interfaces ippp*'
nd_hangup ppp0
nd_expect 'offline isp-b: no link matches interfaces ppp*;ippp*'
dial ppp0 10.0.0.1 10.0.0.2 10
nd_expect 'online isp-a ppp0'
nd_expect 'offline isp-b: ppp0 has no peer address in 10.64.64.64/32'

# by interface name, and both at once
dial ippp0 10.1.0.1 10.1.0.2 20
nd_expect 'online isdn ippp0'
nd_expect 'online dsl ppp0'
nd_hangup ppp0
nd_expect 'offline dsl: no link matches interfaces ppp*'
nd_expect 'online isdn ippp0'
# isp-a now finds only ippp0, whose peer is another
nd_expect 'offline isp-a: ippp0 has no peer address in 10.0.0.2'
nd_finish
mm_pass
