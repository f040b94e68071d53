#!/bin/sh
# masqmail --status without a daemon, in a network namespace with a TUN
# device named ppp0: the profile of a query route with no rules is
# offline (exit 1) until the dial-up has its default route, then online
# through ppp0 (exit 0), and offline again after the hang-up. A second
# profile with a peer rule that does not fit stays offline.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
. "$MM_TOP_SRCDIR/tests/netns/netns.sh"
nd_enter_netns "$@"
mm_setup
echo 'mail_host = "10.0.0.2"' >"$T/isp.route"
printf 'mail_host = "10.9.0.2"\ndetect_peer_addresses = 10.9.0.0/16\n' >"$T/other.route"
mm_conf "query_routes.isp = \"$T/isp.route\"" "query_routes.other = \"$T/other.route\""

ip tuntap add dev ppp0 mode tun || mm_fail "ip tuntap add"
out=$(mm --status)
assert_status 1 $? "--status exits 1 while offline"
assert_contains "$out" "daemon: not running" "it says that no daemon runs"
assert_contains "$out" "link ppp0: down no-carrier point-to-point type=tun" "it shows ppp0 down"
assert_contains "$out" "profile isp: offline: " "the provider is offline"
assert_contains "$out" "online: none" "nothing is online"

nd_dial ppp0
ip link set ppp0 up
ip addr add 10.0.0.1 peer 10.0.0.2 dev ppp0
out=$(mm --status)
assert_status 1 $? "without the default route still offline"
assert_contains "$out" "profile isp: offline: ppp0 has no default route" "and says why"

ip route add default dev ppp0
out=$(mm --status)
assert_status 0 $? "--status exits 0 once the default route is there"
# (the kernel may add an IPv6 link-local address after ours)
assert_contains "$out" "link ppp0: up carrier point-to-point type=tun addresses=10.0.0.1/32" "the link line"
assert_contains "$out" " peer=10.0.0.2 default-route=yes gateway=-" "with its peer and default route"
assert_contains "$out" "profile isp: online since - via ppp0" "the zero-configuration profile is online through ppp0"
assert_contains "$out" "profile other: offline: " "the profile whose peer rule does not fit stays offline"
assert_contains "$out" "online: isp
" "only isp is online"

nd_hangup ppp0
out=$(mm --status)
assert_status 1 $? "--status exits 1 after the hang-up"
assert_contains "$out" "profile isp: offline: ppp0 has no carrier" "and says why"
mm_pass
