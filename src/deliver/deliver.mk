# deliver: the fate of a queued message's recipients (deliver.c), how
# one local user gets mail (local_rcpt.c), and queue runs (runner.c)
libmasqmail_a_SOURCES += \
	src/deliver/deliver.c src/deliver/deliver.h \
	src/deliver/local_rcpt.c src/deliver/local_rcpt.h \
	src/queue/runner.c src/queue/runner.h

check_PROGRAMS += tests/unit/test-deliver
tests_unit_test_deliver_SOURCES = tests/unit/test-deliver.c
tests_unit_test_deliver_LDADD = $(mm_test_ldadd)
TESTS += tests/unit/test-deliver
# the default notice templates are read from the source tree
tests_unit_test_deliver_CPPFLAGS = $(AM_CPPFLAGS) -DMM_TEST_TOP_SRCDIR='"$(abs_top_srcdir)"'
