#!/bin/sh
# --state-dir runs on the embedded configuration: every directory is
# made under the state directory, mail is queued there, and nothing
# outside it is needed.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
T=$(mktemp -d)
state="$T/state"

printf 'Subject: s\n\nbody\n' | "$MASQMAIL" --state-dir="$state" -odq someone@remote.example
assert_status 0 $? "queue a message on the embedded configuration"
for d in spool/input log lock run mail; do
	[ -d "$state/$d" ] || mm_fail "no $d directory"
done
assert_eq "$(stat -c %a "$state")" "700" "the state directory is private"
assert_eq "$(ls "$state/spool/input" | grep -c -- '-H$')" "1" "the message is in the state's spool"
out=$("$MASQMAIL" --state-dir "$state" -bp)
assert_contains "$out" "someone@remote.example" "mailq on the state directory lists it"
mm_pass
