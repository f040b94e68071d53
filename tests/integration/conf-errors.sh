#!/bin/sh
# A broken configuration stops every mode that reads it with EX_CONFIG
# (78) and a message naming the file and the line.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
mm_setup

mm_conf 'do_queue = true' 'no_such_option = 1'
line=$(wc -l <"$MM_CONF")
err=$(mm -bp 2>&1)
assert_status 78 $? "unknown option"
assert_contains "$err" "$MM_CONF:$line:" "file and line of the unknown option"

mm_setup
mm_conf 'do_queue = maybe'
line=$(wc -l <"$MM_CONF")
err=$(echo x | mm user@localhost 2>&1)
assert_status 78 $? "bad boolean, accept mode"
assert_contains "$err" "$MM_CONF:$line:" "file and line of the bad boolean"
assert_eq "$(mm_queued_ids)" "" "nothing was queued"

err=$("$MASQMAIL" -C "$T/missing.conf" -bp 2>&1)
assert_status 78 $? "missing configuration file"
assert_contains "$err" "$T/missing.conf" "the message names the missing file"
mm_pass
