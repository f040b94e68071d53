#!/bin/sh
# What interrupted writes and removals leave in the spool: a -D without
# its -H and -H.tmp files are removed by the next queue run (logged one
# line per file), mailq does not call them damaged entries, while an -H
# without its -D is still reported and kept. A SIGTERM that comes
# between the two unlinks of a message's removal (as the daemon's stop
# of a route run can) no longer leaves its -D behind: strace delivers
# the signal right after the unlink of the -H.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
mm_setup
IN="$T/spool/input"
BOX="$T/mail/$MM_USER"

printf 'Subject: stays\n\nbody\n' | mm -odq far@remote.example || mm_fail "queueing"
kept=$(mm_queued_ids)
cp "$IN/$kept-D" "$IN/1r31eq-1Dz-03-D"
sed -i "1s/.*/1r31eq-1Dz-03/" "$IN/1r31eq-1Dz-03-D"
printf '1r31eq-1Dz-03\nMF:' >"$IN/1r31eq-1Dz-03-H.tmp"
printf '%s\nMF:' "$kept" >"$IN/$kept-H.tmp"
printf '1r31eq-1Dz-01\nMF:<a@example.org>\n\n' >"$IN/1r31eq-1Dz-01-H"

out=$(mm -bp 2>"$T/bp.err")
assert_status 0 $? "mailq lists the queue"
assert_contains "$out" "$kept <= " "the message is listed"
assert_not_contains "$(cat "$T/bp.err")" "1r31eq-1Dz-03" "a leftover is not called a damaged entry"
assert_contains "$(cat "$T/bp.err")" "1r31eq-1Dz-01: damaged spool entry" "an -H without -D is"

mm -q
assert_status 0 $? "-q"
assert_eq "$(ls "$IN" | sort | tr '\n' ' ')" "1r31eq-1Dz-01-H $kept-D $kept-H " \
	"the run removed the leftovers and nothing else"
log=$(cat "$T/log/masqmail.log")
assert_contains "$log" "1r31eq-1Dz-03-D removed: data without envelope" "the -D's removal is logged"
assert_contains "$log" "1r31eq-1Dz-03-H.tmp removed" "the -H.tmp's"
assert_contains "$log" "$kept-H.tmp removed" "the stray -H.tmp of a queued message's"
assert_eq "$(grep -c 'removed: ' "$T/log/masqmail.log")" "3" "one line per file"
mm -q
assert_eq "$(grep -c 'removed: ' "$T/log/masqmail.log")" "3" "and never again"
rm -f "$IN/1r31eq-1Dz-01-H"

if ! command -v strace >/dev/null 2>&1; then
	mm_skip "strace is not installed: the SIGTERM between the unlinks is not tested"
fi
# strace needs ptrace of its child: not allowed in every container
if ! strace -qq -o /dev/null true 2>/dev/null; then
	mm_skip "strace cannot trace here"
fi

# SIGTERM right after the unlink of the -H, in mailrm ...
strace -qq -o /dev/null -P "$IN/$kept-H" -e trace=unlink,unlinkat \
	-e inject=unlink,unlinkat:signal=SIGTERM "$MASQMAIL" -C "$MM_CONF" -Mrm "$kept" 2>/dev/null
assert_status 143 $? "mailrm ended by the SIGTERM"
assert_eq "$(ls "$IN")" "" "the SIGTERM waited for the -D's unlink"

# ... and in a queue run's delivery, which removes the delivered message
printf 'Subject: local\n\nbody\n' | mm -odq "$MM_USER@localhost" || mm_fail "queueing"
id=$(mm_queued_ids)
strace -qq -f -o /dev/null -P "$IN/$id-H" -e trace=unlink,unlinkat \
	-e inject=unlink,unlinkat:signal=SIGTERM "$MASQMAIL" -C "$MM_CONF" -q 2>/dev/null
assert_status 143 $? "the queue run ended by the SIGTERM"
assert_eq "$(grep -c '^From ' "$BOX")" "1" "delivered once"
assert_eq "$(ls "$IN")" "" "nothing of the message is left"
mm_pass
