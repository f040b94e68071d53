#!/bin/sh
# The remote worker killed in the middle of a queue run, while the relay
# holds back its reply to a message's data: that message stays pending
# (the relay never confirmed it), the run goes on with its other work
# (a local recipient is delivered, a remote one waits: the dead worker
# is not used again), no lock is left behind, and the next run delivers
# everything once.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
. "$MM_TOP_SRCDIR/tests/integration/route-lib.sh"
. "$MM_TOP_SRCDIR/tests/integration/queue-root-lib.sh"
qr_setup
qr_relay relay --hang-once 'slow@*'
BOX="$T/mail/$MM_USER"

route_file smart "mail_host = \"127.0.0.1:$relay_PORT\"
tls = off"
mm_conf "permanent_routes = \"$T/smart.route\""

printf 'Subject: first\n\nheld up\n' | mm -odq slow@remote.example
one=$(mm_queued_ids)
sleep 1 # ids sort by time: the second one is delivered after the first
printf 'Subject: second\n\nafter the kill\n' | mm -odq other@remote.example "$MM_USER@localhost"
two=$(mm_queued_ids | grep -v "$one")
assert_eq "$(mm_queued_ids | grep -c .)" "2" "two messages queued"

mm -q >"$T/run.err" 2>&1 &
run=$!
mm_wait_for "[ -e '$T/relay/hung' ]" 20 || mm_fail "the relay did not get the data"
worker=$(sed -n 's/.*remote worker pid=\([0-9]*\) started.*/\1/p' "$T/log/masqmail.log" | tail -n 1)
assert_eq "$(awk '/^Uid:/ { print $2 }' "/proc/$worker/status")" "$MAIL_UID" "the worker is the mail user"
kill -KILL "$worker"
wait "$run"
assert_status 0 $? "-q with its worker killed"
log=$(cat "$T/log/masqmail.log")
assert_contains "$log" "$one: remote worker pid=$worker stopped" "the parent saw the worker die"
assert_contains "$log" "$one == slow@remote.example deferred: remote delivery worker failed" "deferred"
assert_contains "$(cat "$T/spool/input/$one-H")" "RT: <slow@remote.example>" "not marked delivered"
assert_contains "$log" "$two => $MM_USER@localhost with mbox" "the run went on: local delivery"
assert_contains "$log" "$two == other@remote.example deferred: remote delivery worker failed" \
	"the dead worker was not used again"
assert_eq "$(grep -c '^Subject: second' "$BOX")" "1" "in the mailbox"
assert_eq "$(route_count relay)" "0" "the relay stored nothing"
assert_eq "$(qr_uids relay)" "$MAIL_UID" "only the mail user talked to it"
assert_eq "$(mm_queued_ids | grep -c -e "$one" -e "$two")" "2" "both still queued"

# the next run: a new worker, everything out once, the local copy not again
route_run
assert_status 0 $? "the next -q"
assert_contains "$(cat "$T/run.out")" "$one => slow@remote.example route=smart" "the first message"
assert_contains "$(cat "$T/run.out")" "$two => other@remote.example route=smart" "the second one"
assert_contains "$(cat "$T/run.out")" "0 skipped (locked)" "no message was left locked"
assert_eq "$(route_count relay)" "2" "the relay has both, once"
assert_eq "$(grep -c '^Subject: second' "$BOX")" "1" "the local copy was not delivered twice"
assert_eq "$(mm_queued_ids)" "" "the queue is empty"
mm_pass
