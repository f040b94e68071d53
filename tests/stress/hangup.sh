#!/bin/sh
# Hang-ups of the link at random moments of a flush (issue 8), in a
# network namespace of its own: the daemon watches a TUN dial-up
# (ppp0, peer 10.0.0.2, where the recording relay listens) by itself;
# mail is taken in over SMTP while the line is down, the line dialed,
# and cut again (its default route deleted, or the device closed as
# pppd does) at a random moment of the flush, CUTS times (default
# 100). At the end the line stays up until the queue drains; the same
# accounting and lines as crash.sh. Needs root and nd-dialer.
#
#   cd BUILDDIR && MM_TOP_BUILDDIR=$PWD SRCDIR/tests/stress/hangup.sh [CUTS=100]
: "${MASQMAIL:=$PWD/masqmail}"
: "${MM_TOP_BUILDDIR:=$PWD}"
. "$(dirname "$0")/../lib/lib.sh"
. "$MM_TOP_SRCDIR/tests/netns/netns.sh"
. "$MM_TOP_SRCDIR/tests/stress/stress-lib.sh"
nd_enter_netns "$@"
TMPDIR=${STRESS_TMPDIR:-/var/tmp}
export TMPDIR
stress_setup
stress_provider_relay
# the relay reads slowly, so that cuts find transfers under way
echo 0.1 >"$STRESS_RELAY_DIR/delay"
STRESS_CUTS=${1:-${STRESS_CUTS:-100}} stress_run hangup
