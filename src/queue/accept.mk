libmasqmail_a_SOURCES += src/queue/accept.c src/queue/accept.h
check_PROGRAMS += tests/unit/test-accept
tests_unit_test_accept_SOURCES = tests/unit/test-accept.c
tests_unit_test_accept_LDADD = $(mm_test_ldadd)
TESTS += tests/unit/test-accept
