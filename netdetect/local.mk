# libnetdetect: the link watcher and the provider matcher. It links
# nothing from src/; its tests link only it and the system libraries.
noinst_LIBRARIES += netdetect/libnetdetect.a
netdetect_libnetdetect_a_SOURCES = \
	netdetect/netdetect.h netdetect/version.c \
	netdetect/error.h netdetect/error.c \
	netdetect/limits.h \
	netdetect/snapshot.h netdetect/snapshot.c \
	netdetect/match.h netdetect/match.c \
	netdetect/watcher.h netdetect/watcher.c

nd_test_ldadd = netdetect/libnetdetect.a $(MM_LIBS)

check_PROGRAMS += tests/unit/test-netdetect-snapshot
tests_unit_test_netdetect_snapshot_SOURCES = tests/unit/test-netdetect-snapshot.c
tests_unit_test_netdetect_snapshot_LDADD = $(nd_test_ldadd)
TESTS += tests/unit/test-netdetect-snapshot

check_PROGRAMS += tests/unit/test-netdetect-match
tests_unit_test_netdetect_match_SOURCES = tests/unit/test-netdetect-match.c
tests_unit_test_netdetect_match_LDADD = $(nd_test_ldadd)
TESTS += tests/unit/test-netdetect-match

# Needs root: each case runs in a network namespace of its own.
check_PROGRAMS += tests/unit/test-netdetect-watcher
tests_unit_test_netdetect_watcher_SOURCES = tests/unit/test-netdetect-watcher.c
tests_unit_test_netdetect_watcher_LDADD = $(nd_test_ldadd)
TESTS += tests/unit/test-netdetect-watcher

# Link tests in network namespaces (root; skipped otherwise). nd-dialer
# holds a TUN device open like pppd; nd-monitor prints the watcher's and
# the matcher's view.
check_PROGRAMS += tests/netns/nd-monitor tests/netns/nd-dialer
tests_netns_nd_monitor_SOURCES = tests/netns/nd-monitor.c
tests_netns_nd_monitor_LDADD = $(nd_test_ldadd)
tests_netns_nd_dialer_SOURCES = tests/netns/nd-dialer.c
dist_noinst_DATA += tests/netns/netns.sh
TESTS += \
	tests/netns/dialup.sh \
	tests/netns/providers.sh \
	tests/netns/gateway.sh \
	tests/netns/no-default-route.sh \
	tests/netns/flapping.sh

# Not a test: prints the time from `ip route add default dev ppp0` to the
# watcher's "online" over 20 dial-ups.
dist_noinst_SCRIPTS += tests/bench/linkup-netdetect.sh
