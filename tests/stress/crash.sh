#!/bin/sh
# Crash consistency (issue 8): the daemon and all of its processes
# killed with SIGKILL at random moments, KILLS times (default 200),
# while SMTP clients and `sendmail` submit and the daemon flushes to a
# recording relay; restarted after each kill. At the end the queue
# drains and the accounting says whether every acknowledged message
# arrived, how many arrived twice and why, whether every spool entry
# reads, and whether anything crashed but by our hand. Needs root.
#
#   cd BUILDDIR && SRCDIR/tests/stress/crash.sh [KILLS=200]
#
# Prints "accepted N", "delivered N", "lost N", "duplicated N",
# "crashes N" last; exits 1 when a message is lost, an entry is
# unreadable, a duplicate is not of the unavoidable kind or something
# crashed. STRESS_SEED repeats a run's random choices; STRESS_WINDOW
# (seconds, default 0.6) is how long the daemon lives at most between
# kills; STRESS_SESSIONS (4) SMTP clients, STRESS_SENDMAIL_RATE (2/s).
: "${MASQMAIL:=$PWD/masqmail}"
. "$(dirname "$0")/../lib/lib.sh"
. "$MM_TOP_SRCDIR/tests/stress/stress-lib.sh"
# the spool goes where fsync reaches a disk: not on a tmpfs
TMPDIR=${STRESS_TMPDIR:-/var/tmp}
export TMPDIR
stress_setup
stress_relay 127.0.0.1
stress_permanent
# the relay takes its time, so that kills find transfers under way
echo 0.05 >"$STRESS_RELAY_DIR/delay"
[ -n "${STRESS_KEEP:-}" ] && touch "$STRESS_RELAY_DIR/keep"
STRESS_KILLS=${1:-${STRESS_KILLS:-200}} stress_run crash
