#!/bin/sh
# A partially delayed delivery: one recipient's server is down. The
# others are delivered and marked; the next run, with the server up,
# delivers the rest and sends nothing twice.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
. "$MM_TOP_SRCDIR/tests/integration/route-lib.sh"
route_setup
route_smtpd A
down_port=$(mm_free_port)

route_file a "mail_host = \"127.0.0.1:$A_PORT\"
tls = off
allowed_recipients = \"*@a.example\""
route_file b "mail_host = \"127.0.0.1:$down_port\"
tls = off
allowed_recipients = \"*@b.example\""
mm_conf "permanent_routes = \"$T/a.route;$T/b.route\""

printf 'Subject: partial\n\nonce each\n' | route_queue "$MM_USER@test.example" one@a.example two@a.example three@b.example
id=$(mm_queued_ids)
route_run
assert_status 0 $? "first run"
assert_contains "$(cat "$T/run.out")" "=> one@a.example route=a " "one delivered"
assert_contains "$(cat "$T/run.out")" "=> two@a.example route=a " "two delivered"
assert_contains "$(cat "$T/run.out")" "== three@b.example deferred: " "three deferred"
assert_eq "$(mm_queued_ids)" "$id" "still queued"
h=$(cat "$T/spool/input/$id-H")
assert_contains "$h" "RT:X<one@a.example>" "one marked delivered in the spool"
assert_contains "$h" "RT:X<two@a.example>" "two marked delivered in the spool"
assert_contains "$h" "RT: <three@b.example>" "three pending in the spool"

route_smtpd B --port "$down_port"
route_run
assert_status 0 $? "second run"
assert_contains "$(cat "$T/run.out")" "=> three@b.example route=b " "three delivered now"
assert_not_contains "$(cat "$T/run.out")" "one@a.example" "one not tried again"
assert_eq "$(route_count A)" "1" "A got the message once"
assert_eq "$(route_count B)" "1" "B got it once"
assert_eq "$(grep -c '^RCPT' "$T/B/msg.00001")" "1" "only three went to B"
assert_eq "$(mm_queued_ids)" "" "done"
mm_pass
