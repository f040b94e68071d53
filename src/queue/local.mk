# queue: message ids, the spool (the only code that touches its files),
# the queue listing and removal; and the safe file primitives of base/
# that the spool is built on.
libmasqmail_a_SOURCES += \
	src/base/fs.c src/base/fs.h \
	src/queue/uid.c src/queue/uid.h \
	src/queue/spool.c src/queue/spool.h

check_PROGRAMS += tests/unit/test-spool
tests_unit_test_spool_SOURCES = tests/unit/test-spool.c
tests_unit_test_spool_LDADD = $(mm_test_ldadd)
TESTS += tests/unit/test-spool

EXTRA_DIST += tests/fixtures/spool-1.0
