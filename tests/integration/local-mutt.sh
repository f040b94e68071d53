#!/bin/sh
# mutt in batch mode as a client of the sendmail command line (its
# sendmail variable runs masqmail with -C and, like mutt's default,
# -oem -oi): the message lands in the mailbox and Python's mailbox
# module reads back the exact body, 8-bit text and lone dot included.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
mm_require_cmd mutt
mm_setup
BOX="$T/mail/$MM_USER"

cat >"$T/muttrc" <<EOM
set sendmail="$MASQMAIL -C $MM_CONF -oem -oi"
set from="$MM_USER@test.example"
set use_from=yes
set realname="Mutt Tester"
set record=""
set copy=no
set charset="utf-8"
set send_charset="utf-8"
EOM
printf 'Gr\303\274\303\237e aus mutt\n\n.\nindented:\n    ..two dots\n' >"$T/body"

HOME=$T mutt -n -F "$T/muttrc" -s "mutt test" "$MM_USER@localhost" <"$T/body"
assert_status 0 $? "mutt"
mm_wait_for "[ -s '$BOX' ]" 10 || mm_fail "nothing arrived"
got=$(/usr/bin/python3 -c '
import mailbox, sys
msgs = list(mailbox.mbox(sys.argv[1]))
m = msgs[0]
sys.stdout.buffer.write(b"%d|%s|%s|" % (len(msgs), m["Subject"].encode(), m["From"].encode()))
sys.stdout.buffer.write(m.get_payload(decode=True))
' "$BOX")
assert_eq "$got" "1|mutt test|Mutt Tester <$MM_USER@test.example>|$(cat "$T/body")" "one message with the exact body"

assert_eq "$(mm_queued_ids)" "" "nothing left in the queue"
mm_pass
