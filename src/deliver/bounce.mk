# bounce: failure notices and delay warnings from the errmsg_file and
# warnmsg_file templates, and when a deferred message is due for one
libmasqmail_a_SOURCES += \
	src/deliver/bounce.c src/deliver/bounce.h \
	src/deliver/template.c src/deliver/template.h

# The default templates, where errmsg_file and warnmsg_file point
# unless the configuration says otherwise (conf.c: MM_DATADIR/tpl).
tpldir = $(pkgdatadir)/tpl
dist_tpl_DATA = conf/tpl/failmsg.tpl conf/tpl/warnmsg.tpl

# The test reads the templates and fixtures from the source tree and
# parses notices with Debian's Python (DESIGN.md: /usr/bin/python3).
check_PROGRAMS += tests/unit/test-bounce
tests_unit_test_bounce_SOURCES = tests/unit/test-bounce.c
tests_unit_test_bounce_CPPFLAGS = $(AM_CPPFLAGS) -DMM_TEST_SRCDIR=\"$(abs_top_srcdir)\"
tests_unit_test_bounce_LDADD = $(mm_test_ldadd)
TESTS += tests/unit/test-bounce

EXTRA_DIST += \
	tests/fixtures/bounce/check-dsn.py \
	tests/fixtures/bounce/failure-default.txt \
	tests/fixtures/bounce/warning-default.txt \
	tests/fixtures/bounce/failure-1.0.tpl \
	tests/fixtures/bounce/failure-1.0.txt
