#!/bin/sh
# The daemon on a simulated dial-up: mail queued while offline leaves by
# itself when the default route through ppp0 appears (not before),
# through the provider's relay and with the provider's From rewriting;
# mail accepted by SMTP while online goes out at once through it; a
# daemon started while the link is up delivers at once. The log shows
# each transition and each run with its figures; a reload keeps the
# provider online.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
. "$MM_TOP_SRCDIR/tests/netns/netns.sh"
. "$MM_TOP_SRCDIR/tests/netns/daemon-lib.sh"
nd_enter_netns "$@"
mm_require_cmd swaks
dl_setup

ip tuntap add dev ppp0 mode tun || mm_fail "ip tuntap add"
dl_relay isp 10.0.0.2
dl_route isp "mail_host = \"10.0.0.2:$DL_PORT\"
map_h_from_addresses = \"$MM_USER: Dial Up <dialup@isp.example>\""
mm_conf "query_routes.isp = \"$T/isp.route\""

printf 'From: %s@test.example\nSubject: queued offline\n\nfirst\n' "$MM_USER" |
	dl_queue "$MM_USER@test.example" friend@remote.example
assert_status 0 $? "a message is queued"

dl_daemon
mm_wait_for "grep -q 'link: profile isp offline' '$DL_LOG'" 5
assert_contains "$(dl_log)" "link: profile isp offline: ppp0 is down" "offline at start, with the reason"
dl_assert_status "profile isp: offline: ppp0 is down" "link: profile isp offline" "--status shows the provider offline before the dial-up"

dl_dial ppp0 10.0.0.1 10.0.0.2
mm_wait_for "grep -q 'ppp0 has no default route' '$DL_LOG'" 5
assert_eq "$(dl_count isp)" 0 "nothing leaves before the default route"
assert_eq "$(cat "$T/isp/connections")" "" "not even a connection"

ip route add default dev ppp0
mm_wait_for "[ \$(dl_count isp) -ge 1 ]" 10
assert_eq "$(dl_count isp)" 1 "the queued message left by itself after the dial-up"
got=$(dl_received isp)
assert_contains "$got" "RCPT TO:<friend@remote.example>" "to its recipient"
assert_contains "$got" "From: Dial Up <dialup@isp.example>" "with the provider's From rewriting"
mm_wait_for "grep -q 'run: isp finished' '$DL_LOG'" 10
log=$(dl_log)
assert_contains "$log" "link: profile isp online via ppp0" "the log says which link brought the provider online"
assert_contains "$log" "run: isp started pid=" "a run through the provider started"
assert_contains "$log" "run: isp finished messages=1 delivered=1 deferred=0 failed=0" "and ended with its figures"
mm_wait_for "[ -z \"\$(mm_queued_ids)\" ]" 5
assert_eq "$(mm_queued_ids)" "" "the queue is empty"
dl_assert_status " via ppp0" "link: profile isp online via ppp0" "--status shows the provider online via ppp0"
dl_assert_status "run isp: last=" "run: isp finished" "--status shows the provider's last run"
dl_assert_status "delivered=1 deferred=0 failed=0" "run: isp finished" "with its figures"

# a reload keeps the provider online, with no new run
kill -HUP "$DL_DAEMON_PID"
mm_wait_for "grep -q 'configuration reloaded' '$DL_LOG'" 5
assert_contains "$(dl_log)" "configuration reloaded" "SIGHUP reloads the configuration"
assert_eq "$(grep -c 'run: isp started' "$DL_LOG")" 1 "the reload starts no run"

# while online, mail accepted by SMTP goes out at once, through the provider
swaks --server 127.0.0.1 --port "$DL_SMTP_PORT" --helo client.test --from "$MM_USER@test.example" \
	--to other@remote.example --header "Subject: while online" --body "second" >"$T/swaks.out" 2>&1
assert_status 0 $? "swaks sent a message while online"
mm_wait_for "[ \$(dl_count isp) -ge 2 ]" 10
assert_eq "$(dl_count isp)" 2 "accepted mail went out at once while online"
assert_contains "$(dl_received isp)" "RCPT TO:<other@remote.example>" "to its recipient"

# hang-up: offline again, and new mail waits
nd_hangup ppp0
mm_wait_for "grep -q 'link: profile isp offline: ppp0 has no carrier' '$DL_LOG'" 5
assert_contains "$(dl_log)" "link: profile isp offline: ppp0 has no carrier" "the hang-up is logged"
printf 'Subject: offline again\n\nthird\n' | dl_queue "$MM_USER@test.example" third@remote.example
swaks --server 127.0.0.1 --port "$DL_SMTP_PORT" --helo client.test --from "$MM_USER@test.example" \
	--to fourth@remote.example --body "fourth" >"$T/swaks.out" 2>&1
sleep 0.5
assert_eq "$(dl_count isp)" 2 "nothing leaves while offline"
assert_eq "$(mm_queued_ids | wc -l)" 2 "both wait in the queue"
dl_stop_daemon

# a daemon started while the link is up delivers at once
nd_dial ppp0
mm_wait_for "ip route show default | grep -q ppp0" 5
dl_daemon
mm_wait_for "[ \$(dl_count isp) -ge 4 ]" 10
assert_eq "$(dl_count isp)" 4 "a daemon started while online delivers what waits"
assert_eq "$(mm_queued_ids)" "" "the queue is empty"
dl_stop_daemon
mm_pass
