#!/bin/sh
# -t: the recipients of To:, Cc: and Bcc: are added to those of the
# command line; Bcc: is removed from the message. The local one gets
# it at once (once, though named twice), the remote ones wait.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
mm_setup
BOX="$T/mail/$MM_USER"

printf 'To: %s@localhost\nCc: Carol <carol@remote.example>\nBcc: hidden@remote.example\nSubject: t\n\nwith -t\n' \
	"$MM_USER" | mm -t "$MM_USER@test.example"
assert_status 0 $? "sendmail -t"

assert_eq "$(grep -c '^From ' "$BOX")" "1" "one local copy"
assert_not_contains "$(cat "$BOX")" "hidden@remote.example" "no Bcc: in the delivered message"
assert_contains "$(cat "$BOX")" "Cc: Carol <carol@remote.example>" "Cc: kept"
id=$(mm_queued_ids)
assert_eq "$(echo "$id" | grep -c .)" "1" "queued for the remote recipients"
h=$(cat "$T/spool/input/$id-H")
assert_contains "$h" "RT: <carol@remote.example>" "Cc: recipient"
assert_contains "$h" "RT: <hidden@remote.example>" "Bcc: recipient"
assert_not_contains "$h" "HD:Bcc:" "Bcc: removed from the queued header"
assert_eq "$(echo "$h" | grep "^RT:X" | sort | tr '\n' ' ')" "RT:X<$MM_USER@localhost> RT:X<$MM_USER@test.example> " "both names of the local user marked delivered"

printf 'Subject: none\n\nno recipients\n' | mm -t 2>"$T/err"
assert_status 64 $? "-t without any recipient"
mm_pass
