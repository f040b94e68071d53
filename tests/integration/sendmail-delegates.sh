#!/bin/sh
# The sendmail program runs masqmail for every mode but accepting a
# message, with the same arguments and the name it was called by:
# -bp, -bs, -q, -bV, --status, usage errors, and the invocation names.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
mm_setup
sm() { "$SENDMAIL" -C "$MM_CONF" "$@"; }
BOX="$T/mail/$MM_USER"

printf 'Subject: listed\n\nx\n' | sm -odq "$MM_USER@test.example"
id=$(mm_queued_ids)
list=$(sm -bp)
assert_status 0 $? "sendmail -bp"
assert_eq "$list" "$(mm -bp)" "-bp lists as masqmail does"
assert_contains "$list" "$id" "the message"

# mailq as a link to the sendmail program: still the list mode
ln -s "$SENDMAIL" "$T/mailq"
assert_eq "$("$T/mailq" -C "$MM_CONF")" "$list" "called as mailq"

v=$("$SENDMAIL" -bV)
assert_status 0 $? "sendmail -bV"
assert_eq "$v" "$("$MASQMAIL" -bV)" "-bV is masqmail's"

st=$(sm --status 2>&1); s1=$?
mt=$(mm --status 2>&1); s2=$?
assert_eq "$s1" "$s2" "--status: masqmail's status"
assert_eq "$st" "$mt" "--status: masqmail's report"

out=$(sm --no-such-option 2>&1)
assert_status 64 $? "usage error"
assert_contains "$out" "unknown option \"--no-such-option\"" "masqmail's message"

out=$(printf 'EHLO client.example\r\nQUIT\r\n' | sm -bs)
assert_contains "$out" "220 " "-bs greets"
assert_contains "$out" "221 " "and says goodbye"

sm -q
assert_status 0 $? "sendmail -q"
assert_contains "$(cat "$BOX")" "Subject: listed" "-q delivered the queue"
assert_eq "$(mm_queued_ids)" "" "nothing left"

# the name is kept: one that chooses a mode still chooses it
ln -s "$SENDMAIL" "$T/runq"
printf 'Subject: runq\n\nby runq\n' | sm -odq "$MM_USER@test.example"
"$T/runq" -C "$MM_CONF"
assert_status 0 $? "called as runq"
assert_contains "$(cat "$BOX")" "by runq" "runq ran the queue"

# -qI: only the messages whose id contains the text
printf 'Subject: a\n\nmessage a\n' | sm -odq "$MM_USER@test.example"
a=$(mm_queued_ids)
printf 'Subject: b\n\nmessage b\n' | sm -odq "$MM_USER@test.example"
b=$(mm_queued_ids | grep -v "^$a\$")
sm -qI "$b"
assert_status 0 $? "sendmail -qI"
assert_contains "$(cat "$BOX")" "message b" "the message named"
assert_not_contains "$(cat "$BOX")" "message a" "not the other"
assert_eq "$(mm_queued_ids)" "$a" "which stays queued"
mm_pass
