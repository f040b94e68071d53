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
