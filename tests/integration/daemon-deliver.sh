#!/bin/sh
# The daemon delivers what its SMTP server accepts at once: a message
# from swaks to a local user is in the mailbox within moments, with
# nothing left in the queue, and the delivery is a child of the daemon
# (the log says so). With do_queue the message stays queued until -q.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
mm_require_cmd swaks
mm_setup
BOX="$T/mail/$MM_USER"
port=$(mm_free_port)
mm_conf "listen_addresses = \"127.0.0.1:$port\""

mm_bg "$MASQMAIL" -C "$MM_CONF" -bD
mm_wait_for "grep -q 'smtp: serving' '$T/log/masqmail.log' 2>/dev/null" 10 || mm_fail "the daemon did not start"

swaks --server 127.0.0.1 --port "$port" --helo client.test --from a@elsewhere.test \
	--to "$MM_USER@test.example" --header "Subject: at once" --body "delivered by the daemon" >"$T/swaks.out" 2>&1
assert_status 0 $? "swaks sent the message"
mm_wait_for "grep -q 'delivered by the daemon' '$BOX' 2>/dev/null" 10
assert_status 0 $? "the message is in the mailbox without a queue run"
mm_wait_for "[ -z \"\$(mm_queued_ids)\" ]" 5
assert_eq "$(mm_queued_ids)" "" "nothing left in the queue"
log=$(cat "$T/log/masqmail.log")
assert_contains "$log" "delivery child pid=" "a child of the daemon delivered it"
assert_contains "$log" "=> $MM_USER@test.example with mbox" "the delivery is logged"
assert_not_contains "$log" "queue run" "no queue run was involved"
kill -TERM "$MM_LAST_PID"
wait "$MM_LAST_PID"
assert_status 0 $? "the daemon stops on SIGTERM"

# do_queue: accepted, kept, then delivered by -q
mm_conf "do_queue = true"
mm_bg "$MASQMAIL" -C "$MM_CONF" -bD
mm_wait_for "[ \$(grep -c 'smtp: serving' '$T/log/masqmail.log') -ge 2 ]" 10 || mm_fail "the daemon did not start again"
swaks --server 127.0.0.1 --port "$port" --helo client.test --from a@elsewhere.test \
	--to "$MM_USER@test.example" --header "Subject: later" --body "kept for the queue run" >"$T/swaks.out" 2>&1
assert_status 0 $? "swaks sent the second message"
sleep 1
assert_eq "$(mm_queued_ids | wc -l)" "1" "with do_queue the message stays queued"
assert_not_contains "$(cat "$BOX")" "kept for the queue run" "and is not delivered"
mm -q
assert_status 0 $? "masqmail -q"
assert_contains "$(cat "$BOX")" "kept for the queue run" "-q delivers it"
assert_eq "$(mm_queued_ids)" "" "the queue is empty afterwards"
mm_pass
