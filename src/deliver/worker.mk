# remote delivery worker: the run's remote deliveries in a child that
# is not root (remote_worker.c), its wire and its parent's distrust
libmasqmail_a_SOURCES += src/deliver/remote_worker.c src/deliver/remote_worker.h

check_PROGRAMS += tests/unit/test-remote-worker
tests_unit_test_remote_worker_SOURCES = tests/unit/test-remote-worker.c
tests_unit_test_remote_worker_LDADD = $(mm_test_ldadd)
TESTS += tests/unit/test-remote-worker
# the default notice templates are read from the source tree
tests_unit_test_remote_worker_CPPFLAGS = $(AM_CPPFLAGS) -DMM_TEST_TOP_SRCDIR='"$(abs_top_srcdir)"'

# as root: the SMTP conversation runs as the mail user, with the same
# results as in one process, and a worker that dies loses nothing
TESTS += \
	tests/integration/queue-root-worker.sh \
	tests/integration/queue-root-worker-killed.sh
dist_noinst_DATA += tests/integration/queue-root-lib.sh
