#!/bin/sh
# -Mrm / mailrm removes messages from the queue: a user only the ones
# they submitted locally, root any. Unknown and malformed ids fail.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
mm_setup

printf 'Subject: one\n\nx\n' | mm -odq a@remote.example || mm_fail "queueing"
printf 'Subject: two\n\nx\n' | mm -odq b@remote.example || mm_fail "queueing"
set -- $(mm_queued_ids)
first=$1 second=$2

mm -Mrm "$first"
assert_status 0 $? "remove own message"
assert_eq "$(mm_queued_ids)" "$second" "only the other message is left"

mm -Mrm "$first" 2>/dev/null
assert_status 66 $? "removing it again: no such message (EX_NOINPUT)"

mm -Mrm '../../etc/passwd' 2>/dev/null
assert_status 64 $? "a path is not a message id"

if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
	# another user may not remove root's message, and the message stays
	chmod -R a+rwX "$T"
	err=$(setpriv --reuid=nobody --regid=nogroup --clear-groups "$MASQMAIL" -C "$MM_CONF" -Mrm "$second" 2>&1)
	assert_status 77 $? "a user removing another's message (EX_NOPERM)"
	assert_contains "$err" "$second" "the refusal names the message"
	assert_eq "$(mm_queued_ids)" "$second" "the message is still queued"
	ln -s "$MASQMAIL" "$T/mailrm"
	"$T/mailrm" -C "$MM_CONF" "$second"
	assert_status 0 $? "root removes it with mailrm"
	assert_eq "$(mm_queued_ids)" "" "queue empty"
else
	echo "# not root: the other-user part is left out"
fi
mm_pass
