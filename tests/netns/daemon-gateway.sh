#!/bin/sh
# Ethernet-like links (veth pairs): two providers on the same interface
# told apart by the gateway of the default route; then a dial-up
# without a default route, which is not online for a profile that
# requires one (the default) but is for a profile that says it needs
# none.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
. "$MM_TOP_SRCDIR/tests/netns/netns.sh"
. "$MM_TOP_SRCDIR/tests/netns/daemon-lib.sh"
nd_enter_netns "$@"
dl_setup

dl_relay office 10.7.0.2
dl_relay cafe 10.8.0.2
dl_relay dialup 10.0.0.2
dl_relay lan 10.9.0.2
dl_route office "mail_host = \"10.7.0.2:$DL_PORT\"
detect_interfaces = \"veth*\"
detect_gateways = \"192.168.7.1\""
dl_route cafe "mail_host = \"10.8.0.2:$DL_PORT\"
detect_interfaces = \"veth*\"
detect_gateways = \"192.168.8.0/24\""
dl_route dialup "mail_host = \"10.0.0.2:$DL_PORT\""
dl_route lan "mail_host = \"10.9.0.2:$DL_PORT\"
detect_interfaces = \"lan*\"
detect_default_route = false"
mm_conf "query_routes.office = \"$T/office.route\"" \
	"query_routes.cafe = \"$T/cafe.route\"" \
	"query_routes.dialup = \"$T/dialup.route\"" \
	"query_routes.lan = \"$T/lan.route\""
dl_daemon

printf 'Subject: one\n\none\n' | dl_queue "$MM_USER@test.example" one@remote.example
ip link add veth0 type veth peer name veth1
ip link set veth1 up
ip link set veth0 up
ip addr add 192.168.7.10/24 dev veth0
ip addr add 192.168.8.10/24 dev veth0
ip route add default via 192.168.7.1 dev veth0
mm_wait_for "[ \$(dl_count office) -ge 1 ]" 10
assert_eq "$(dl_count office) $(dl_count cafe)" "1 0" "gateway 192.168.7.1: through office only"
assert_contains "$(dl_log)" "link: profile office online via veth0" "office is online via veth0"
assert_contains "$(dl_log)" "link: profile cafe offline: " "cafe is not"

printf 'Subject: two\n\ntwo\n' | dl_queue "$MM_USER@test.example" two@remote.example
ip route replace default via 192.168.8.1 dev veth0
mm_wait_for "[ \$(dl_count cafe) -ge 1 ]" 10
assert_eq "$(dl_count office) $(dl_count cafe)" "1 1" "gateway 192.168.8.1: through cafe only"
assert_contains "$(dl_log)" "link: profile cafe online via veth0" "cafe is online via veth0"
mm_wait_for "grep -q 'link: profile office offline' '$DL_LOG'" 5
assert_contains "$(dl_log)" "link: profile office offline" "office went offline"
ip route del default dev veth0
mm_wait_for "grep -q 'link: profile cafe offline' '$DL_LOG'" 5

# a dial-up without a default route
printf 'Subject: three\n\nthree\n' | dl_queue "$MM_USER@test.example" three@remote.example
dl_dial ppp0 10.0.0.1 10.0.0.2
mm_wait_for "grep -q 'profile dialup offline: ppp0 has no default route' '$DL_LOG'" 5
assert_contains "$(dl_log)" "link: profile dialup offline: ppp0 has no default route" \
	"a dial-up without default route is not online"
sleep 0.5
assert_eq "$(dl_count dialup)" 0 "and nothing goes through it"

# a link without a default route, for a profile that needs none
ip link add lan0 type veth peer name lan1
ip link set lan1 up
ip link set lan0 up
ip addr add 172.16.5.10/24 dev lan0
mm_wait_for "[ \$(dl_count lan) -ge 1 ]" 10
assert_eq "$(dl_count lan)" 1 "a profile without the default route rule takes the link"
assert_contains "$(dl_log)" "link: profile lan online via lan0" "lan is online via lan0"
assert_eq "$(dl_count dialup)" 0 "dialup still has nothing"
assert_eq "$(mm_queued_ids)" "" "the queue is empty"
dl_stop_daemon
mm_pass
