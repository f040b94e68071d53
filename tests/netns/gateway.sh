#!/bin/sh
# Ethernet-like links (a veth pair) told apart by the gateway of their
# default route, as for Wi-Fi at home and at the office; losing the
# carrier takes the profile offline.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
. "$MM_TOP_SRCDIR/tests/netns/netns.sh"
nd_enter_netns "$@"
mm_setup

ip link add eth0 type veth peer name peer-eth0 || mm_fail "ip link add veth"
nd_monitor 'home,interfaces=eth*;wlan*,gateway=192.168.1.1' \
	'office,interfaces=eth*,gateway=10.1.1.0/24' 'dialup'
nd_expect 'offline home: eth0 is down'

ip link set peer-eth0 up
ip link set eth0 up
ip addr add 192.168.1.10/24 dev eth0
ip addr add 10.1.1.5/24 dev eth0
nd_expect 'offline home: eth0 has no default route'
ip route add default via 192.168.1.1
nd_expect 'online home eth0'
nd_expect 'offline office: eth0 has no default route via a gateway in 10.1.1.0/24'
nd_expect 'offline dialup: no link matches interfaces ppp*;ippp*'

ip route replace default via 10.1.1.1
nd_expect 'online office eth0'
nd_expect 'offline home: eth0 has no default route via a gateway in 192.168.1.1'

# the other end goes down: no carrier
ip link set peer-eth0 down
nd_expect 'offline office: eth0 has no carrier'
nd_expect 'offline home: eth0 has no carrier'
ip link set peer-eth0 up
nd_expect 'online office eth0'
nd_finish
mm_pass
