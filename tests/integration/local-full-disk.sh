#!/bin/sh
# A full disk loses nothing and says why. With mail_dir full, the
# message is accepted, the delivery is deferred with "No space left on
# device" in the log, the mailbox is cut back to what it was, and the
# next queue run delivers the whole message once there is room. With
# the spool full, the sendmail command line exits 75 (EX_TEMPFAIL) with
# the reason on stderr and leaves nothing half-written in the spool.
# Small tmpfs file systems stand in for the full disks (root only).
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
mm_require_root
mm_setup
BOX="$T/mail/$MM_USER"
MOUNTS=""
unmount_all() {
	s=$?
	for m in $MOUNTS; do umount "$m" 2>/dev/null; done
	return $s
}
trap 'unmount_all; mm_cleanup' EXIT
mount -t tmpfs -o size=256k,mode=0755 mm-mail "$T/mail" 2>/dev/null ||
	mm_skip "cannot mount a tmpfs here"
MOUNTS="$T/mail"

/usr/bin/python3 -c '
import sys
sys.stdout.write("Subject: big\n\n")
for i in range(2000):
    sys.stdout.write("line %05d of a message that does not fit\n" % i)
' >"$T/big"

printf 'Subject: small\n\nfits\n' | mm "$MM_USER@localhost"
assert_status 0 $? "a small message while there is room"
before=$(md5sum <"$BOX")
dd if=/dev/zero of="$T/mail/filler" bs=4k 2>/dev/null
mm "$MM_USER@localhost" <"$T/big"
assert_status 0 $? "accepted although the mailbox cannot take it"
id=$(mm_queued_ids)
assert_eq "$(echo "$id" | grep -c .)" "1" "the message waits in the queue"
assert_contains "$(cat "$T/log/masqmail.log")" "$id == $MM_USER@localhost deferred:" "deferred"
assert_contains "$(grep "$id ==" "$T/log/masqmail.log")" "No space left on device" "the log says why"
assert_eq "$(md5sum <"$BOX")" "$before" "the mailbox is as it was"

rm -f "$T/mail/filler"
mm -q
assert_eq "$(mm_queued_ids)" "" "delivered once there is room"
got=$(/usr/bin/python3 -c '
import mailbox, sys
msgs = list(mailbox.mbox(sys.argv[1]))
want = open(sys.argv[2]).read().split("\n\n", 1)[1]
print(len(msgs), msgs[1]["Subject"], msgs[1].get_payload() == want)
' "$BOX" "$T/big")
assert_eq "$got" "2 big True" "the whole message, once"

mount -t tmpfs -o size=256k,mode=0700 mm-spool "$T/spool" || mm_fail "cannot mount the spool tmpfs"
MOUNTS="$T/spool $MOUNTS"
dd if=/dev/zero of="$T/spool/filler" bs=4k 2>/dev/null
mm "$MM_USER@localhost" <"$T/big" 2>"$T/err"
assert_status 75 $? "a full spool is a temporary failure"
assert_contains "$(cat "$T/err")" "No space left on device" "stderr says why"
assert_eq "$(ls -A "$T/spool/input" 2>/dev/null)" "" "nothing half-written in the spool"
rm -f "$T/spool/filler"
mm -odq "$MM_USER@localhost" <"$T/big"
assert_status 0 $? "accepted once there is room"
mm_pass
