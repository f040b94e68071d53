#!/bin/sh
# Broken aliases bounce exactly the addresses that lead to them: a loop
# and an alias with a malformed address fail (and the good user in that
# same alias does not get the message, 1.0's rule); a good alias and a
# plain user are delivered. One failure notice, an RFC 3464 report
# naming just the two failed addresses, goes to the sender.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
mm_setup
mm_conf "errmsg_file = \"$MM_TOP_SRCDIR/conf/tpl/failmsg.tpl\""
BOX="$T/mail/$MM_USER"
cat >"$T/aliases" <<EOA
ring: round
round: ring
broken: $MM_USER, <not closed
fine: $MM_USER
EOA
mm_conf "alias_file = \"$T/aliases\""

printf 'Subject: botched\n\nbody\n' | mm ring@localhost broken@localhost fine@localhost
assert_status 0 $? "sendmail"
assert_eq "$(mm_queued_ids)" "" "nothing left in the queue"

report=$(/usr/bin/python3 -c '
import mailbox, sys
msgs = list(mailbox.mbox(sys.argv[1]))
out = ["messages=%d" % len(msgs)]
for m in msgs:
    if m["Return-path"] != "<>":
        out.append("message " + m["Subject"])
        continue
    out.append("notice " + m.get_content_type())
    for part in m.walk():
        if part.get_content_type() == "message/delivery-status":
            for block in part.get_payload()[1:]:
                out.append("%s %s %s" % (block["Final-Recipient"], block["Action"], block["Status"]))
print("\n".join(out))
' "$BOX")
assert_eq "$report" "messages=2
message botched
notice multipart/report
rfc822; ring@localhost failed 5.4.6
rfc822; broken@localhost failed 5.1.3" "one copy through fine, one notice for ring and broken"
log=$(cat "$T/log/masqmail.log")
assert_contains "$log" "!! ring@localhost failed: $T/aliases:1: alias loop" "loop in the log"
assert_contains "$log" "!! broken@localhost failed: $T/aliases:3:" "bad address in the log"
assert_contains "$log" "=> $MM_USER@test.example <fine@localhost> with mbox" "the good alias"
mm_pass
