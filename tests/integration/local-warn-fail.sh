#!/bin/sh
# A recipient that keeps deferring (a pipe exiting 75): no notice at
# first; once the message is older than the first warn interval (its
# receive time TR: moved back in the -H file, as if it had waited) a
# queue run sends one warning and records TW:; the next run sends none;
# once it is older than max_defer_time the recipient fails, the sender
# gets a failure notice and the message leaves the queue.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
mm_setup
mm_conf "errmsg_file = \"$MM_TOP_SRCDIR/conf/tpl/failmsg.tpl\"" \
	"warnmsg_file = \"$MM_TOP_SRCDIR/conf/tpl/warnmsg.tpl\""
BOX="$T/mail/$MM_USER"
printf '#!/bin/sh\nexit 75\n' >"$T/defer"
chmod 755 "$T/defer"
printf 'slow: |%s/defer\n' "$T" >"$T/aliases"
mm_conf "alias_file = \"$T/aliases\""

# Sets TR: of message $1 to $2 seconds ago.
age() {
	tr=$(( $(date +%s) - $2 ))
	sed -i "s/^TR: [0-9]*\$/TR: $tr/" "$T/spool/input/$1-H"
}
# The Action and Status of each notice in the mailbox.
notices() {
	/usr/bin/python3 -c '
import mailbox, sys
for m in mailbox.mbox(sys.argv[1]):
    for part in m.walk():
        if part.get_content_type() == "message/delivery-status":
            for block in part.get_payload()[1:]:
                print("%s %s %s" % (block["Final-Recipient"], block["Action"], block["Status"]))
' "$BOX" 2>/dev/null
}

printf 'Subject: slow\n\nslow body\n' | mm slow@localhost
assert_status 0 $? "sendmail"
id=$(mm_queued_ids)
assert_eq "$(echo "$id" | grep -c .)" "1" "deferred and queued"
assert_contains "$(cat "$T/log/masqmail.log")" "== |$T/defer <slow@localhost> deferred:" "deferral in the log"
mm -q
assert_eq "$(notices)" "" "no warning within the first hour"

age "$id" 7200
mm -q
assert_eq "$(notices)" "rfc822; slow@localhost delayed 4.0.0" "a warning after two hours"
assert_contains "$(cat "$T/spool/input/$id-H")" "TW: " "TW: recorded"
assert_eq "$(mm_queued_ids)" "$id" "still queued"
mm -q
assert_eq "$(notices | wc -l)" "1" "no second warning in the same interval"

age "$id" $((5 * 24 * 3600))
mm -q
assert_eq "$(notices)" "rfc822; slow@localhost delayed 4.0.0
rfc822; slow@localhost failed 5.4.7" "a failure notice after max_defer_time (4d)"
assert_eq "$(mm_queued_ids)" "" "the message left the queue"
assert_contains "$(cat "$T/log/masqmail.log")" "!! |$T/defer <slow@localhost> failed:" "failure in the log"
mm_pass
