#!/bin/sh
# The binary is linked to bind every symbol at start (-z now) with a
# read-only GOT (-z relro). With lazy binding the detached daemon
# resolved each function at its first call after the fork, walking the
# symbol tables of all its libraries in the process that stays
# resident: a third of its idle memory (tests/bench/README, Memory).
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
mm_require_cmd readelf

dyn=$(readelf -d "$MASQMAIL") || mm_fail "readelf -d $MASQMAIL"
assert_contains "$dyn" "BIND_NOW" "masqmail binds its symbols at start"
assert_contains "$(readelf -l "$MASQMAIL")" "GNU_RELRO" "masqmail has a RELRO segment"
mm_pass
