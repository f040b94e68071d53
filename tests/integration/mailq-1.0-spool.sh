#!/bin/sh
# A spool written by masqmail 1.0 is listed by `mailq` (the invocation
# name) as 1.0 lists it. Ages depend on the clock and are left out of
# the comparison; test-queue compares them at a fixed time.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
mm_setup

fixture="$MM_TOP_SRCDIR/tests/fixtures/spool-1.0"
cp -p "$fixture"/input/* "$T/spool/input/" 2>/dev/null || { mkdir -p "$T/spool/input" && cp -p "$fixture"/input/* "$T/spool/input/"; }
ln -s "$MASQMAIL" "$T/mailq"

out=$("$T/mailq" -C "$MM_CONF" 2>"$T/err")
assert_status 0 $? "mailq"
assert_eq "$(cat "$T/err")" "" "nothing reported as damaged"
strip_age() { sed 's/ age=[^ ]*//'; }
assert_eq "$(printf '%s\n' "$out" | strip_age)" "$(strip_age <"$fixture/mailq.ref")" "listing as 1.0's"

# -bp is the same listing
out2=$(mm -bp 2>/dev/null)
assert_eq "$(printf '%s\n' "$out2" | strip_age)" "$(printf '%s\n' "$out" | strip_age)" "-bp lists the same"

# the spool is left as it was
for f in "$fixture"/input/*; do
	cmp -s "$f" "$T/spool/input/$(basename "$f")" || mm_fail "listing changed $(basename "$f")"
done
mm_pass
