#!/bin/sh
# The sendmail command line and the queue run share the delivery
# engine: with a permanent route to a smarthost, mail goes out at once
# when it is written; with the smarthost down it waits, -q still exits
# 0, and the next -q sends it. The route's rewriting applies only to
# the copy that leaves through it: the local copy of the same message
# keeps its header as written.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
. "$MM_TOP_SRCDIR/tests/integration/route-lib.sh"
route_setup
route_smtpd relay
BOX="$T/mail/$MM_USER"

route_file smart "mail_host = \"127.0.0.1:$relay_PORT\"
tls = off
map_h_from_addresses = \"$MM_USER: Out Side <outside@isp.example>\"
map_return_path_addresses = \"$MM_USER: bounces@isp.example\""
mm_conf "permanent_routes = \"$T/smart.route\""

# sendmail, no -odq: delivered before the command returns
printf 'From: %s@test.example\nSubject: at once\n\nright now\n' "$MM_USER" |
	mm "$MM_USER@localhost" far@remote.example
assert_status 0 $? "sendmail"
assert_eq "$(mm_queued_ids)" "" "nothing left in the queue"
assert_eq "$(route_count relay)" "1" "the smarthost has it"
m="$T/relay/msg.00001"
assert_contains "$(cat "$m")" "RCPT TO:<far@remote.example>" "to the remote recipient"
assert_not_contains "$(cat "$m")" "RCPT TO:<$MM_USER@" "not to the local one"
assert_contains "$(cat "$m")" "MAIL FROM:<bounces@isp.example>" "return path rewritten on the way out"
assert_contains "$(cat "$m")" "From: Out Side <outside@isp.example>" "From: rewritten on the way out"
assert_eq "$(grep -c '^From ' "$BOX")" "1" "the local copy arrived"
assert_contains "$(cat "$BOX")" "From: $MM_USER@test.example" "the local copy keeps its From:"
assert_not_contains "$(cat "$BOX")" "isp.example" "nothing of the route in the local copy"
assert_contains "$(cat "$BOX")" "Return-path: <$MM_USER@test.example>" "nor in its return path"
assert_contains "$(cat "$T/log/masqmail.log")" "=> far@remote.example route=smart host=" "logged with route and host"

# the smarthost down: sendmail queues, -q defers and still exits 0
route_stop relay
printf 'Subject: later\n\nwhen it is back\n' | mm later@remote.example
assert_status 0 $? "sendmail with the smarthost down"
id=$(mm_queued_ids)
assert_eq "$(echo "$id" | grep -c .)" "1" "queued"
route_run
assert_status 0 $? "-q with the smarthost down"
assert_contains "$(cat "$T/run.out")" "$id == later@remote.example deferred: " "deferred"
assert_contains "$(cat "$T/spool/input/$id-H")" "RT: <later@remote.example>" "still pending"

# back again: -q sends it, once
route_smtpd back --port "$relay_PORT"
route_run
assert_status 0 $? "-q with the smarthost back"
assert_contains "$(cat "$T/run.out")" "$id => later@remote.example route=smart " "delivered by -q"
assert_eq "$(route_count back)" "1" "the restarted smarthost got it once"
assert_contains "$(cat "$T/back/msg.00001")" "when it is back" "the body"
assert_eq "$(mm_queued_ids)" "" "the queue is empty"

# -odq queues only; -q delivers both parts, the remote one as it leaves
printf 'Subject: queued\n\nby -q\n' | mm -odq "$MM_USER@localhost" q@remote.example
assert_eq "$(route_count back)" "1" "-odq sent nothing"
route_run
assert_status 0 $? "-q"
assert_eq "$(route_count back)" "2" "-q sent it"
assert_eq "$(grep -c '^From ' "$BOX")" "2" "and delivered the local part"
assert_eq "$(mm_queued_ids)" "" "the queue is empty"
mm_pass
