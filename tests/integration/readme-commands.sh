#!/bin/sh
# The README's Quick start holds exactly two command lines, and .ci/run
# runs the second one (the test command) verbatim.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"

readme="$MM_TOP_SRCDIR/README"
ci="$MM_TOP_SRCDIR/.ci/run"
quick=$(sed -n '/^Quick start/,/^Building and installing/p' "$readme" | grep '^    ')
count=$(printf '%s\n' "$quick" | grep -c .)
assert_eq "$count" "2" "the Quick start has two command lines"

run_cmd=$(printf '%s\n' "$quick" | sed -n 1p | sed 's/^    //')
test_cmd=$(printf '%s\n' "$quick" | sed -n 2p | sed 's/^    //')
assert_contains "$run_cmd" "-bD" "the first line runs the daemon in the foreground"
assert_contains "$run_cmd" "--state-dir" "the first line uses the embedded configuration"
assert_contains "$test_cmd" "tests/run" "the second line runs the test suite"
assert_contains "$(cat "$ci")" "( $test_cmd )" ".ci/run runs the test command verbatim"
mm_pass
