#!/bin/sh
# bsd-mailx as a client of the sendmail command line: it calls
# "sendmail -i -t" (told where by its sendmail variable, here a
# wrapper that adds -C); the message lands in the mailbox and Python's
# mailbox module reads back the exact body, a lone dot included.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
mm_require_cmd mailx
mm_setup
BOX="$T/mail/$MM_USER"

printf '#!/bin/sh\nexec "%s" -C "%s" "$@"\n' "$MASQMAIL" "$MM_CONF" >"$T/sendmail"
chmod 755 "$T/sendmail"
printf 'set sendmail=%s/sendmail\n' "$T" >"$T/mailrc"
printf 'first line\n.\nlast line with 8-bit: \303\244\n' >"$T/body"

HOME=$T MAILRC=$T/mailrc mailx -s "mailx test" "$MM_USER@localhost" <"$T/body"
assert_status 0 $? "mailx"
mm_wait_for "[ -s '$BOX' ]" 10 || mm_fail "nothing arrived"
mm_wait_for "[ -z \"\$(mm_queued_ids)\" ]" 10
got=$(/usr/bin/python3 -c '
import mailbox, sys
msgs = list(mailbox.mbox(sys.argv[1]))
sys.stdout.buffer.write(b"%d|%s|" % (len(msgs), msgs[0]["Subject"].encode()))
sys.stdout.buffer.write(msgs[0].get_payload(decode=True))
' "$BOX")
assert_eq "$got" "1|mailx test|$(cat "$T/body")" "one message with the exact body"
assert_contains "$(cat "$T/log/masqmail.log")" "=> $MM_USER@localhost with mbox" "delivered at once"
mm_pass
