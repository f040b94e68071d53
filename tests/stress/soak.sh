#!/bin/sh
# Soak (issue 8): SECONDS (default 3600) of mixed load on one daemon in
# a network namespace of its own: 50 SMTP sessions each sending a
# message every 10 s on average (about 5 msg/s together), `sendmail`
# submissions (0.5/s), flushes to the recording relay through a TUN
# dial-up that flaps (up 2-6 s, down 1-3 s, cut by route or device).
# Every 5 s the daemon's RSS and open descriptors (summed over its
# processes), its process count and the spool (entries, bytes) go to
# soak-samples; at the end their min/max/last, the bounds checked and
# the same accounting lines as crash.sh. Needs root and nd-dialer.
#
#   cd BUILDDIR && MM_TOP_BUILDDIR=$PWD SRCDIR/tests/stress/soak.sh [SECONDS=3600]
#
# Bounds: RSS may grow by at most STRESS_RSS_GROWTH_KB (8192) from the
# first quarter's peak to the last quarter's; the descriptors once idle
# at the end at most 4 above those idle at the start; no line in the
# log that says error, cannot, fail(ed), corrupt, damaged or warning
# unless the load explains it (a link going down, a relay deferring).
# The samples are kept in STRESS_OUT (default: the current directory).
: "${MASQMAIL:=$PWD/masqmail}"
: "${MM_TOP_BUILDDIR:=$PWD}"
: "${STRESS_OUT:=$PWD}"
export STRESS_OUT
. "$(dirname "$0")/../lib/lib.sh"
. "$MM_TOP_SRCDIR/tests/netns/netns.sh"
. "$MM_TOP_SRCDIR/tests/stress/stress-lib.sh"
nd_enter_netns "$@"
TMPDIR=${STRESS_TMPDIR:-/var/tmp}
export TMPDIR
stress_setup
stress_provider_relay
echo 0.02 >"$STRESS_RELAY_DIR/delay"
STRESS_SECONDS=${1:-${STRESS_SECONDS:-3600}} STRESS_SESSIONS=${STRESS_SESSIONS:-50} \
	STRESS_RATE=${STRESS_RATE:-0.1} stress_run soak
