# The control socket, the status report and the provider profiles.
libmasqmail_a_SOURCES += src/daemon/profiles.h
libmasqmail_a_SOURCES += src/daemon/profiles.c \
	src/daemon/control.c src/daemon/control.h \
	src/daemon/control_client.c src/daemon/control_client.h \
	src/daemon/status.c src/daemon/status.h

TESTS += \
	tests/integration/control-socket.sh \
	tests/integration/control-handover.sh

check_PROGRAMS += tests/unit/test-profiles tests/unit/test-status
tests_unit_test_profiles_SOURCES = tests/unit/test-profiles.c
tests_unit_test_profiles_LDADD = $(mm_test_ldadd)
tests_unit_test_status_SOURCES = tests/unit/test-status.c
tests_unit_test_status_LDADD = $(mm_test_ldadd)
TESTS += tests/unit/test-profiles tests/unit/test-status
# needs root and network namespaces; nd-dialer comes from netdetect/local.mk
TESTS += tests/netns/status-dialup.sh
