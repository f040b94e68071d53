#!/bin/sh
# Maildir delivery (new in this masqmail): with mbox_default = maildir,
# mail_dir/USER is a maildir; the message lands in new/ through tmp/,
# and Python's mailbox.Maildir reads it back with the exact body.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
mm_setup
mm_conf 'mbox_default = maildir'
MD="$T/mail/$MM_USER"

printf 'Subject: maildir\n\nline one\nFrom line two\n' | mm "$MM_USER@localhost"
assert_status 0 $? "sendmail"
assert_eq "$(ls "$MD/new" | wc -l)" "1" "one file in new/"
assert_eq "$(ls "$MD/tmp" | wc -l)" "0" "nothing left in tmp/"
assert_eq "$(stat -c %a "$MD" "$MD/new")" "700
700" "maildir directories are private"
got=$(/usr/bin/python3 -c '
import mailbox, sys
for m in mailbox.Maildir(sys.argv[1], factory=None):
    sys.stdout.write("[%s|%s|%s]" % (m["Subject"], m["Return-path"], m.get_payload()))
' "$MD")
assert_eq "$got" "[maildir|<$MM_USER@test.example>|line one
From line two
]" "read back by Python's mailbox, no From quoting"
assert_contains "$(cat "$T/log/masqmail.log")" "=> $MM_USER@localhost with maildir" "log line"
assert_eq "$(mm_queued_ids)" "" "nothing queued"

mm_pass
