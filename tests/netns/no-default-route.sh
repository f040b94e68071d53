#!/bin/sh
# A link without a default route is ignored unless the profile says
# otherwise; a default route through another link does not count.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
. "$MM_TOP_SRCDIR/tests/netns/netns.sh"
nd_enter_netns "$@"
mm_setup

ip link add lan0 type veth peer name peer-lan0 || mm_fail "ip link add veth"
ip link add eth0 type veth peer name peer-eth0 || mm_fail "ip link add veth"
for l in peer-lan0 lan0 peer-eth0 eth0; do ip link set "$l" up; done
ip addr add 192.168.7.2/24 dev lan0
ip addr add 192.168.1.10/24 dev eth0
nd_monitor 'needs,interfaces=lan*' 'lan,interfaces=lan*,default-route=no' 'dialup'
nd_expect 'offline needs: lan0 has no default route'
nd_expect 'online lan lan0'
nd_expect 'offline dialup: no link matches interfaces ppp*;ippp*'

# a default route through eth0 is not one through lan0
before=$(nd_evals)
ip route add default via 192.168.1.1 dev eth0
mm_wait_for "[ \$(nd_evals) -gt $before ]" || mm_fail "no evaluation after the route"
nd_expect 'offline needs: lan0 has no default route'
nd_expect 'online lan lan0'

# losing its address takes the route-less profile offline too
ip addr del 192.168.7.2/24 dev lan0
nd_expect 'offline lan: lan0 has no global address'
nd_finish
mm_pass
