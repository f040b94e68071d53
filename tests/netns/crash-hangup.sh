#!/bin/sh
# Hang-ups under load in the suite: tests/stress/hangup.sh's run,
# short. Mail is taken in while the dial-up is down; the line is dialed
# and cut (route deleted or device closed) at a random moment of the
# flush, 40 times; then it stays up until the queue drains. Fails when
# an acknowledged message is lost, a second copy is not one the
# protocol makes unavoidable, a spool entry does not read or anything
# crashed.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
. "$MM_TOP_SRCDIR/tests/netns/netns.sh"
. "$MM_TOP_SRCDIR/tests/stress/stress-lib.sh"
nd_enter_netns "$@"
stress_setup
stress_provider_relay
echo 0.1 >"$STRESS_RELAY_DIR/delay"
STRESS_CUTS=${STRESS_CUTS:-40} stress_run hangup >"$T/out" 2>"$T/err"
status=$?
stress_check_report $status "nothing crashed"
assert_contains "$(cat "$T/out")" "hang-ups ${STRESS_CUTS:-40} " "all the hang-ups were made"
mm_pass
