#!/bin/sh
# Crash consistency in the suite: tests/stress/crash.sh's run, short.
# The daemon and all of its processes are killed with SIGKILL 200
# times at random moments while SMTP clients and sendmail submit and
# the daemon flushes to a recording relay; after the last restart the
# queue drains. Fails when an acknowledged message is lost, a second
# copy is not one the protocol makes unavoidable, a spool entry does
# not read or anything crashed but by our kills.
. "$MM_TOP_SRCDIR/tests/lib/lib.sh"
. "$MM_TOP_SRCDIR/tests/stress/stress-lib.sh"
stress_setup
stress_relay 127.0.0.1
stress_permanent
echo 0.02 >"$STRESS_RELAY_DIR/delay"
STRESS_KILLS=${STRESS_KILLS:-200} STRESS_WINDOW=${STRESS_WINDOW:-0.15} STRESS_SESSIONS=3 \
	STRESS_SENDMAIL_RATE=2 stress_run crash >"$T/out" 2>"$T/err"
status=$?
stress_check_report $status "nothing crashed but by the kills"
assert_contains "$(cat "$T/out")" "kills ${STRESS_KILLS:-200} " "all the kills were made"
mm_pass
