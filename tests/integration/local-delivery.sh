#!/bin/sh
# Local mail is delivered at once: to user@localhost and to
# user@host_name, into mail_dir/USER as an mbox that a real reader
# (Python's mailbox module) reads back with the exact bodies; nothing
# stays in the queue and the log has one "=>" line per recipient.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
mm_setup
BOX="$T/mail/$MM_USER"

printf 'Subject: one\n\nfirst body\nwith two lines\n' | mm "$MM_USER@localhost"
assert_status 0 $? "sendmail to user@localhost"
printf 'Subject: two\n\nsecond body\n' | mm "$MM_USER@test.example"
assert_status 0 $? "sendmail to user@host_name"

assert_eq "$(mm_queued_ids)" "" "nothing left in the queue"
assert_eq "$(stat -c %a "$BOX")" "600" "mailbox mode"
got=$(/usr/bin/python3 -c '
import mailbox, sys
for m in mailbox.mbox(sys.argv[1]):
    sys.stdout.write("[%s|%s|%s]" % (m["Subject"], m["Return-path"], m.get_payload()))
' "$BOX")
assert_eq "$got" "[one|<$MM_USER@test.example>|first body
with two lines
][two|<$MM_USER@test.example>|second body
]" "both messages read back by Python's mailbox"
assert_contains "$(cat "$BOX")" "Envelope-to: <$MM_USER@localhost>" "Envelope-to of the first"
assert_contains "$(cat "$BOX")" "Envelope-to: <$MM_USER@test.example>" "Envelope-to of the second"

log=$(cat "$T/log/masqmail.log")
assert_contains "$log" "=> $MM_USER@localhost with mbox" "log line of the first"
assert_contains "$log" "=> $MM_USER@test.example with mbox" "log line of the second"
assert_eq "$(grep -c ' completed$' "$T/log/masqmail.log")" "2" "both completed"
mm_pass
