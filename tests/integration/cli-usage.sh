#!/bin/sh
# An unknown option or a missing option argument is a usage error:
# exit status EX_USAGE (64), the reason and the usage text on stderr.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
mm_setup

err=$(mm -bX 2>&1 </dev/null)
assert_status 64 $? "unknown -b mode"
assert_contains "$err" "-bX" "the message names the option"
assert_contains "$err" "sage" "the usage text follows"

mm -C 2>/dev/null </dev/null
assert_status 64 $? "-C without a file"

mm -q5x 2>/dev/null </dev/null
assert_status 64 $? "bad queue interval"

mm --no-such-option 2>/dev/null </dev/null
assert_status 64 $? "unknown long option"

out=$(mm --help)
assert_status 0 $? "--help"
assert_contains "$out" "-bd" "--help lists the options"
mm_pass
