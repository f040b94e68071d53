#!/bin/sh
# -f sets the return path for root (and the mail user and group); any
# other user's message carries that user's own address whatever -f says.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
mm_setup

printf 'Subject: a\n\nx\n' | mm -odq -f chosen@elsewhere.example a@remote.example
assert_status 0 $? "queue with -f"
id=$(mm_queued_ids)
if [ "$(id -u)" -eq 0 ]; then
	assert_contains "$(cat "$T/spool/input/$id-H")" "MF:<chosen@elsewhere.example>" "root chooses the return path"
	printf 'Subject: b\n\nx\n' | mm -odq -f '<>' b@remote.example
	assert_status 0 $? "queue with the null return path"
	id2=$(mm_queued_ids | grep -v "^$id\$")
	assert_contains "$(cat "$T/spool/input/$id2-H")" "MF:<>" "root may send with <>"

	id nobody >/dev/null 2>&1 || mm_skip "no user nobody"
	rm -f "$T"/spool/input/*
	chmod -R a+rwX "$T"
	printf 'Subject: c\n\nx\n' | setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$MASQMAIL" -C "$MM_CONF" -odq -f forged@elsewhere.example c@remote.example
	assert_status 0 $? "an ordinary user's message is accepted"
	id3=$(mm_queued_ids)
	assert_contains "$(cat "$T/spool/input/$id3-H")" "MF:<nobody@test.example>" "with the user's own return path"
	assert_not_contains "$(cat "$T/spool/input/$id3-H")" "forged@" "-f is ignored"
	assert_contains "$(cat "$T/log/masqmail.log")" "-f forged@elsewhere.example ignored" "the attempt is logged"
else
	assert_contains "$(cat "$T/spool/input/$id-H")" "MF:<$MM_USER@test.example>" "an ordinary user's -f is ignored"
fi
mm_pass
