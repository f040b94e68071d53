#!/bin/sh
# A fault at every write of a local delivery: a queued message is
# delivered by a queue run (-q) into an mbox and into a maildir while
# the Nth write, open, rename, fsync, ... fails, for N = 1, 2, ... until
# a run no longer makes an Nth call. Afterwards either the mailbox holds
# the message once, whole, and the queue no longer has it pending, or
# the mailbox is as it was (an mbox cut back to its old length, no file
# in the maildir's new/ or tmp/) and the message waits in the queue,
# whole. A run that delivers and then cannot record it leaves the
# message pending: the next run delivers it again, counted as a
# duplicate (printed, allowed: no loss). A run that delivers, removes
# the -H and cannot sync the directory leaves an orphaned -D: the next
# queue run removes it. Nothing crashes.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
. "$MM_TOP_SRCDIR/tests/lib/fault-lib.sh"
fault_strace_ok
mm_setup

SPECS="write:error=ENOSPC writev:error=ENOSPC pwrite64:error=ENOSPC openat:error=ENOSPC
rename:error=EIO link:error=ENOSPC linkat:error=ENOSPC
fsync:error=EIO fdatasync:error=EIO ftruncate:error=EIO"
FAULT_BODY_END="end of the body"
BOX="$T/mail/$MM_USER"
delivered=0
deferred=0
duplicates=0
orphans=0
lost=0
crashes=0

/usr/bin/python3 -c '
import sys
sys.stdout.write("Subject: fault\n\n")
for i in range(400):
    sys.stdout.write("line %05d of the message\n" % i)
sys.stdout.write("end of the body\n")
' >"$T/msg"

# whole messages in the mailbox $1 and whether the last one is whole
box_state() {
	/usr/bin/python3 - "$1" "$2" <<'EOPY'
import mailbox, sys, os
path, kind = sys.argv[1], sys.argv[2]
if not os.path.exists(path):
    print("0 -"); sys.exit(0)
box = mailbox.mbox(path) if kind == "mbox" else mailbox.Maildir(path, factory=None)
msgs = list(box)
whole = all(m.as_string().endswith("end of the body\n") for m in msgs)
print(len(msgs), "whole" if whole else "partial")
EOPY
}

for kind in mbox maildir; do
	rm -rf "$T/spool" "$BOX" "$T/mail/.$MM_USER"* && mkdir -p "$T/spool"
	[ $kind = maildir ] && mm_conf 'mbox_default = maildir'
	# one message in the mailbox to begin with
	mm "$MM_USER@localhost" <"$T/msg" || mm_fail "$kind: first delivery"
	before_state=$(box_state "$BOX" $kind)
	assert_eq "$before_state" "1 whole" "$kind: one message delivered without faults"
	mm -odq "$MM_USER@localhost" <"$T/msg" || mm_fail "$kind: queueing"
	id=$(mm_queued_ids)
	rm -rf "$T/spool.orig" "$T/box.orig"
	cp -a "$T/spool" "$T/spool.orig"
	cp -a "$BOX" "$T/box.orig"
	for spec in $SPECS; do
		n=0
		while :; do
			n=$((n + 1))
			rm -rf "$T/spool" "$BOX"
			cp -a "$T/spool.orig" "$T/spool"
			cp -a "$T/box.orig" "$BOX"
			: >"$T/log/masqmail.log"
			fault_run "$spec" "$n" "$MASQMAIL" -C "$MM_CONF" -q
			[ "$FAULT_HIT" = 1 ] || break
			what="$kind $spec when=$n"
			crash=$(fault_crashed "$T/trace" "$T/err")
			if [ -n "$crash" ]; then
				crashes=$((crashes + 1))
				fault_case 0 "$what: crashed: $crash"
				continue
			fi
			problems=$(fault_spool_problems "$T/spool/input")
			if [ "$problems" = "$id-D without its -H" ] && grep -q "$id => " "$T/log/masqmail.log"; then
				# delivered, the -H removed, and then the
				# directory could not be synced: the -D stays
				# as an orphan, never to be delivered again; the
				# next queue run removes it (it holds data, so no
				# writer can be between its create and its lock)
				orphans=$((orphans + 1))
				echo "# $what: delivered, its -D left as an orphan"
				mm -q
				fault_case "$([ ! -e "$T/spool/input/$id-D" ] && echo 1)" "$what: the orphan is removed"
				fault_case "$(grep -q "$id-D removed: data without envelope" "$T/log/masqmail.log" && echo 1)" \
					"$what: the removal is logged"
				problems=$(fault_spool_problems "$T/spool/input")
			fi
			fault_case "$([ -z "$problems" ] && echo 1)" "$what: spool: $problems"
			if [ $kind = maildir ]; then
				left=$(ls -A "$BOX/tmp")
				fault_case "$([ -z "$left" ] && echo 1)" "$what: left in tmp/: $left"
			fi
			state=$(box_state "$BOX" $kind)
			pending=0
			[ -f "$T/spool/input/$id-H" ] && grep -q '^RT: <' "$T/spool/input/$id-H" && pending=1
			case "$state $pending" in
			"1 whole 1")
				deferred=$((deferred + 1))
				if [ $kind = mbox ]; then
					fault_case "$(cmp -s "$BOX" "$T/box.orig" && echo 1)" \
						"$what: the mbox is not as it was"
				fi
				;;
			"2 whole 0") delivered=$((delivered + 1)) ;;
			"2 whole 1")
				duplicates=$((duplicates + 1))
				echo "# $what: delivered, but still pending in the queue (a duplicate on the next run)"
				;;
			*)
				lost=$((lost + 1))
				fault_case 0 "$what: mailbox [$state], pending [$pending]: $(grep "$id" "$T/log/masqmail.log" | tail -n 2)"
				;;
			esac
		done
	done
done
echo "# $FAULT_CASES cases checked: $delivered delivered, $deferred deferred, $duplicates duplicates, $orphans orphaned -D files"
fault_counts 0 $delivered $lost $duplicates $crashes
assert_eq "$([ "$FAULT_CASES" -ge 20 ] && echo yes)" yes "the faults hit ($FAULT_CASES cases)"
mm_pass
