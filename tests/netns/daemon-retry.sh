#!/bin/sh
# A relay that defers (451) while the provider is online: the run ends
# with the message deferred and a retry is planned after the first
# back-off interval; the message stays queued with its recipient
# pending. The next dial-up starts over at once (no waiting for the
# retry) and delivers it, once.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
. "$MM_TOP_SRCDIR/tests/netns/netns.sh"
. "$MM_TOP_SRCDIR/tests/netns/daemon-lib.sh"
nd_enter_netns "$@"
dl_setup

dl_relay isp 10.0.0.2
dl_route isp "mail_host = \"10.0.0.2:$DL_PORT\""
mm_conf "query_routes.isp = \"$T/isp.route\""
printf 'Subject: later\n\nlater\n' | dl_queue "$MM_USER@test.example" later@remote.example
uid=$(mm_queued_ids)
touch "$T/isp/busy"
dl_daemon

dl_dial ppp0 10.0.0.1 10.0.0.2
ip route add default dev ppp0
mm_wait_for "grep -q 'run: isp finished' '$DL_LOG'" 10
log=$(dl_log)
assert_contains "$log" "run: isp finished messages=1 delivered=0 deferred=1 failed=0" "the run counts the deferral"
assert_contains "$log" "run: isp deferred mail is tried again in 60s" "a retry is planned after the first interval"
assert_eq "$(mm_queued_ids)" "$uid" "the message stays queued"
assert_contains "$(cat "$T/spool/input/$uid-H")" "RT: <later@remote.example>" "its recipient is pending"
dl_assert_status "deferred=1" "deferred=1" "--status shows the deferral of the last run"

rm -f "$T/isp/busy"
nd_hangup ppp0
mm_wait_for "grep -q 'link: profile isp offline' '$DL_LOG'" 5
dl_dial ppp0 10.0.0.1 10.0.0.2
ip route add default dev ppp0
mm_wait_for "[ \$(dl_count isp) -ge 1 ]" 10
mm_wait_for "[ -z \"\$(mm_queued_ids)\" ]" 5
assert_eq "$(dl_count isp)" 1 "the next dial-up delivers it at once"
assert_eq "$(mm_queued_ids)" "" "the queue is empty"
assert_eq "$(grep -c 'run: isp started' "$DL_LOG")" 2 "two runs, one per dial-up"
dl_stop_daemon
mm_pass
