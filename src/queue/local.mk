# queue: message ids, the spool (the only code that touches its files),
# the queue listing and removal; and the safe file primitives of base/
# that the spool is built on.
libmasqmail_a_SOURCES += \
	src/base/fs.c src/base/fs.h \
	src/queue/uid.c src/queue/uid.h \
	src/queue/spool.c src/queue/spool.h \
	src/queue/queue.c src/queue/queue.h

check_PROGRAMS += tests/unit/test-spool
tests_unit_test_spool_SOURCES = tests/unit/test-spool.c
tests_unit_test_spool_LDADD = $(mm_test_ldadd)
TESTS += tests/unit/test-spool

check_PROGRAMS += tests/unit/test-queue
tests_unit_test_queue_SOURCES = tests/unit/test-queue.c
tests_unit_test_queue_LDADD = $(mm_test_ldadd)
TESTS += tests/unit/test-queue

# Writes one message and says "committed": run under strace by
# tests/integration/spool-durability.sh. Not a test by itself.
check_PROGRAMS += tests/unit/spool-tool
tests_unit_spool_tool_SOURCES = tests/unit/spool-tool.c
tests_unit_spool_tool_LDADD = $(mm_test_ldadd)

TESTS += tests/integration/spool-durability.sh
EXTRA_DIST += tests/fixtures/spool-1.0
