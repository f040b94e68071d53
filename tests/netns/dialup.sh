#!/bin/sh
# A simulated dial-up on a TUN device named ppp0: the zero-configuration
# profile goes online exactly when the default route appears, and
# offline on hang-up (the dialer closes the device) and when the route
# is deleted. The one-shot dump (--status without a daemon) agrees.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
. "$MM_TOP_SRCDIR/tests/netns/netns.sh"
nd_enter_netns "$@"
mm_setup

# a persistent device, as `ip tuntap add` makes it: it has carrier only
# while the dialer holds it open
ip tuntap add dev ppp0 mode tun || mm_fail "ip tuntap add"
nd_monitor dialup
nd_expect 'offline dialup: ppp0 is down'

nd_dial ppp0
ip link set ppp0 up
nd_expect 'offline dialup: ppp0 has no global address'
ip addr add 10.0.0.1 peer 10.0.0.2 dev ppp0
nd_expect 'offline dialup: ppp0 has no default route'
assert_eq "$(nd_verdicts | grep -c '^online')" 0 "not online before the default route"

ip route add default dev ppp0
nd_expect 'online dialup ppp0'
assert_eq "$(nd_verdicts)" "offline dialup: ppp0 is down
offline dialup: ppp0 has no global address
offline dialup: ppp0 has no default route
online dialup ppp0" "each step of the dial-up, online only with the route"

once=$("$ND_MONITOR" --once dialup)
assert_contains "$once" 'online dialup ppp0' "the one-shot dump sees the provider"
assert_contains "$once" 'inet 10.0.0.1/32 peer 10.0.0.2 scope global' "and the peer address"

# hang-up: the carrier goes, the route stays (the kernel marks it linkdown)
nd_hangup ppp0
nd_expect 'offline dialup: ppp0 has no carrier'

# redial: carrier and the kept route make it online again
nd_dial ppp0
nd_expect 'online dialup ppp0'

# the route is deleted while the link stays
ip route del default dev ppp0
nd_expect 'offline dialup: ppp0 has no default route'
once=$("$ND_MONITOR" --once dialup)
assert_contains "$once" 'offline dialup: ppp0 has no default route' "the one-shot dump agrees"

# a transient device, as pppd makes one: hang-up removes it
nd_hangup ppp0
ip tuntap del dev ppp0 mode tun
nd_expect 'offline dialup: no link matches interfaces ppp*;ippp*'
nd_dial ppp0
ip link set ppp0 up
ip addr add 10.0.0.1 peer 10.0.0.2 dev ppp0
ip route add default dev ppp0
nd_expect 'online dialup ppp0'
nd_hangup ppp0
nd_expect 'offline dialup: no link matches interfaces ppp*;ippp*'
nd_finish
mm_pass
