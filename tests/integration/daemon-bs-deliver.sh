#!/bin/sh
# -bs (in.smtpd) delivers what it queued as 1.0 does: each message in a
# process of its own, started when the message is queued, which lets
# go of the session's standard descriptors (swaks --pipe sees the end
# of the session at once). With -odq the messages stay queued.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
mm_require_cmd swaks
mm_setup
BOX="$T/mail/$MM_USER"

swaks --pipe "$MASQMAIL -C $MM_CONF -bs" --helo client.test --from a@elsewhere.test \
	--to "$MM_USER@test.example" --header "Subject: bs" --body "delivered after -bs" >"$T/swaks.out" 2>&1
assert_status 0 $? "swaks talked to -bs"
mm_wait_for "grep -q 'delivered after -bs' '$BOX' 2>/dev/null" 10
assert_status 0 $? "the message is in the mailbox without a queue run"
mm_wait_for "[ -z \"\$(mm_queued_ids)\" ]" 5
assert_eq "$(mm_queued_ids)" "" "nothing left in the queue"

swaks --pipe "$MASQMAIL -C $MM_CONF -odq -bs" --helo client.test --from a@elsewhere.test \
	--to "$MM_USER@test.example" --header "Subject: bs queued" --body "kept by -odq" >"$T/swaks.out" 2>&1
assert_status 0 $? "swaks talked to -odq -bs"
sleep 1
assert_eq "$(mm_queued_ids | wc -l)" "1" "with -odq the message stays queued"
assert_not_contains "$(cat "$BOX")" "kept by -odq" "and is not delivered"
mm_pass
