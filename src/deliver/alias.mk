# aliases: alias_file and globalias_file, read at delivery time, and the
# expansion of recipients through them (masqmail.aliases(5))
libmasqmail_a_SOURCES += src/deliver/alias.c src/deliver/alias.h

check_PROGRAMS += tests/unit/test-alias
tests_unit_test_alias_SOURCES = tests/unit/test-alias.c
tests_unit_test_alias_LDADD = $(mm_test_ldadd)
TESTS += tests/unit/test-alias
EXTRA_DIST += \
	tests/fixtures/aliases/aliases \
	tests/fixtures/aliases/globaliases \
	tests/fixtures/aliases/broken \
	conf/aliases
# the fixtures are found through MM_TOP_SRCDIR under make check, and
# through this when the program is run by hand
tests_unit_test_alias_CPPFLAGS = $(AM_CPPFLAGS) -DMM_TEST_TOP_SRCDIR='"$(abs_top_srcdir)"'
