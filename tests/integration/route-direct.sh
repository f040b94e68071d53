#!/bin/sh
# Direct delivery without a mail_host: the recipient's domain looked up
# byname (localhost, from /etc/hosts) on the port smtp_port sets, and
# an address literal domain connected to as it is.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
. "$MM_TOP_SRCDIR/tests/integration/route-lib.sh"
route_setup
route_smtpd mx

# localhost must be remote here; the queue is for test.example only
sed -i 's/^local_hosts = .*/local_hosts = "test.example"/' "$MM_CONF"
route_file direct "resolve_list = byname
smtp_port = $mx_PORT
tls = off"
mm_conf "permanent_routes = \"$T/direct.route\""

printf 'Subject: direct\n\ndirect body\n' | route_queue "$MM_USER@test.example" dave@localhost 'erin@[127.0.0.1]'
assert_status 0 $? "queued"
route_run
assert_status 0 $? "queue run"
assert_contains "$(cat "$T/run.out")" "=> dave@localhost route=direct " "by name"
assert_contains "$(cat "$T/run.out")" "=> erin@[127.0.0.1] route=direct " "address literal"
assert_eq "$(route_count mx)" "2" "one transaction per destination"
assert_contains "$(cat "$T"/mx/msg.*)" "RCPT TO:<dave@localhost>" "dave arrived"
assert_contains "$(cat "$T"/mx/msg.*)" "direct body" "body arrived"
assert_eq "$(mm_queued_ids)" "" "queue empty"
mm_pass
