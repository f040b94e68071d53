# conf: masqmail.conf(5) and masqmail.route(5), one shared parser
libmasqmail_a_SOURCES += \
	src/conf/parser.c src/conf/parser.h \
	src/conf/conf.c src/conf/conf.h \
	src/conf/route.c src/conf/route.h

# The tests read the fixtures and the man pages from the source tree.
mm_conf_test_cppflags = $(AM_CPPFLAGS) -DMM_TEST_SRCDIR=\"$(abs_top_srcdir)\"

check_PROGRAMS += tests/unit/test-conf
tests_unit_test_conf_SOURCES = tests/unit/test-conf.c
tests_unit_test_conf_CPPFLAGS = $(mm_conf_test_cppflags)
tests_unit_test_conf_LDADD = $(mm_test_ldadd)
TESTS += tests/unit/test-conf

check_PROGRAMS += tests/unit/test-route
tests_unit_test_route_SOURCES = tests/unit/test-route.c
tests_unit_test_route_CPPFLAGS = $(mm_conf_test_cppflags)
tests_unit_test_route_LDADD = $(mm_test_ldadd)
TESTS += tests/unit/test-route


# Fixtures (the list is kept in step with tests/fixtures/conf/)
EXTRA_DIST += \
	tests/fixtures/conf/bad-auth-name.route \
	tests/fixtures/conf/bad-boolean.conf \
	tests/fixtures/conf/bad-boolean.route \
	tests/fixtures/conf/bad-command.conf \
	tests/fixtures/conf/bad-helo-name.route \
	tests/fixtures/conf/bad-host-name.conf \
	tests/fixtures/conf/bad-listen-address.conf \
	tests/fixtures/conf/bad-log-user.conf \
	tests/fixtures/conf/bad-mail-host.route \
	tests/fixtures/conf/bad-map-address.route \
	tests/fixtures/conf/bad-max-msg-size.conf \
	tests/fixtures/conf/bad-mbox-default.conf \
	tests/fixtures/conf/bad-number.conf \
	tests/fixtures/conf/bad-option-name.conf \
	tests/fixtures/conf/bad-query-route.conf \
	tests/fixtures/conf/bad-resolver.route \
	tests/fixtures/conf/bad-smtp-port.route \
	tests/fixtures/conf/bad-time.conf \
	tests/fixtures/conf/bad-warn-interval.conf \
	tests/fixtures/conf/bad-wrapper.route \
	tests/fixtures/conf/good-all-options.conf \
	tests/fixtures/conf/good-all-options.route \
	tests/fixtures/conf/map-display-name-in-path.route \
	tests/fixtures/conf/map-empty-pattern.route \
	tests/fixtures/conf/map-no-colon.route \
	tests/fixtures/conf/missing-equals.conf \
	tests/fixtures/conf/missing-host-name.conf \
	tests/fixtures/conf/missing-include.conf \
	tests/fixtures/conf/missing-mailname.conf \
	tests/fixtures/conf/out-of-range.conf \
	tests/fixtures/conf/quote-in-unquoted.conf \
	tests/fixtures/conf/relative-path.conf \
	tests/fixtures/conf/text-after-quote.conf \
	tests/fixtures/conf/text-after-value.conf \
	tests/fixtures/conf/unknown-option.conf \
	tests/fixtures/conf/unknown-option.route \
	tests/fixtures/conf/unterminated-quote.conf \
	tests/fixtures/conf/unterminated.route
