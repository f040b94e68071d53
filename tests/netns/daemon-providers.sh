#!/bin/sh
# Several providers, told apart by the peer address of the dial-up and
# by the interface's name: the mail queued before each dial-up goes
# through the relay of the provider that the link belongs to, and only
# through it.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
. "$MM_TOP_SRCDIR/tests/netns/netns.sh"
. "$MM_TOP_SRCDIR/tests/netns/daemon-lib.sh"
nd_enter_netns "$@"
dl_setup

dl_relay alpha 10.0.0.2
dl_relay beta 10.1.0.2
dl_relay mobile 10.2.0.2
dl_route alpha "mail_host = \"10.0.0.2:$DL_PORT\"
detect_peer_addresses = \"10.0.0.2\""
dl_route beta "mail_host = \"10.1.0.2:$DL_PORT\"
detect_peer_addresses = \"10.1.0.0/16\""
dl_route mobile "mail_host = \"10.2.0.2:$DL_PORT\"
detect_interfaces = \"wwan*\""
mm_conf "query_routes.alpha = \"$T/alpha.route\"" \
	"query_routes.beta = \"$T/beta.route\"" \
	"query_routes.mobile = \"$T/mobile.route\""
dl_daemon

# $1 relay that must get message $2, the others nothing new
expect_only() {
	mm_wait_for "grep -q 'RCPT TO:<$2@remote.example>' '$T/$1'/msg.* 2>/dev/null" 10
	assert_contains "$(dl_received "$1")" "RCPT TO:<$2@remote.example>" "$2 went through $1"
	mm_wait_for "[ -z \"\$(mm_queued_ids)\" ]" 5
	for r in alpha beta mobile; do
		[ "$r" = "$1" ] && continue
		assert_not_contains "$(dl_received "$r")" "<$2@" "and not through $r"
	done
}

printf 'Subject: one\n\none\n' | dl_queue "$MM_USER@test.example" one@remote.example
dl_dial ppp0 10.0.0.1 10.1.0.2
ip route add default dev ppp0
expect_only beta one
log=$(dl_log)
assert_contains "$log" "link: profile beta online via ppp0" "the peer address selects beta"
assert_not_contains "$log" "link: profile alpha online" "not alpha"
nd_hangup ppp0
mm_wait_for "grep -q 'profile beta offline: no link' '$DL_LOG'" 5

printf 'Subject: two\n\ntwo\n' | dl_queue "$MM_USER@test.example" two@remote.example
dl_dial ppp0 10.0.0.1 10.0.0.2
ip route add default dev ppp0
expect_only alpha two
assert_contains "$(dl_log)" "link: profile alpha online via ppp0" "the other peer address selects alpha"
nd_hangup ppp0
mm_wait_for "grep -q 'profile alpha offline: no link' '$DL_LOG'" 5

printf 'Subject: three\n\nthree\n' | dl_queue "$MM_USER@test.example" three@remote.example
dl_dial wwan0 10.2.0.1 10.2.0.2
ip route add default dev wwan0
expect_only mobile three
log=$(dl_log)
assert_contains "$log" "link: profile mobile online via wwan0" "the interface name selects mobile"
assert_eq "$(grep -c 'link: profile alpha online' "$DL_LOG")" 1 "alpha was online once"
assert_eq "$(grep -c 'link: profile beta online' "$DL_LOG")" 1 "beta was online once"
assert_eq "$(dl_count alpha) $(dl_count beta) $(dl_count mobile)" "1 1 1" "one message per relay"
dl_stop_daemon
mm_pass
