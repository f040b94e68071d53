# The command-line parser and its unit test.
libmasqmail_a_SOURCES += src/cli/options.c src/cli/options.h

check_PROGRAMS += tests/unit/test-options
tests_unit_test_options_SOURCES = tests/unit/test-options.c
tests_unit_test_options_LDADD = $(mm_test_ldadd)
TESTS += tests/unit/test-options
