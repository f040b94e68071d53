# route: which routes are online, which route a recipient takes, the
# address rewriting of a route, and delivery through it (SMTP or pipe)
libmasqmail_a_SOURCES += \
	src/deliver/route_select.c src/deliver/route_select.h \
	src/deliver/rewrite.c src/deliver/rewrite.h \
	src/deliver/online.c src/deliver/online.h

check_PROGRAMS += tests/unit/test-route-select
tests_unit_test_route_select_SOURCES = tests/unit/test-route-select.c
tests_unit_test_route_select_LDADD = $(mm_test_ldadd)
TESTS += tests/unit/test-route-select

check_PROGRAMS += tests/unit/test-rewrite
tests_unit_test_rewrite_SOURCES = tests/unit/test-rewrite.c
tests_unit_test_rewrite_LDADD = $(mm_test_ldadd)
TESTS += tests/unit/test-rewrite

libmasqmail_a_SOURCES += src/deliver/remote.c src/deliver/remote.h

dist_noinst_DATA += tests/integration/route-lib.sh
TESTS += \
	tests/integration/route-smarthost.sh \
	tests/integration/route-direct.sh \
	tests/integration/route-conditions.sh \
	tests/integration/route-partial.sh \
	tests/integration/route-pipe-wrapper.sh \
	tests/integration/route-thousand.sh

# TLS and AUTH to a relay through a permanent route, with real mail
dist_noinst_DATA += \
	tests/integration/route-tls-lib.sh \
	tests/integration/route-tls-relay.py
TESTS += \
	tests/integration/route-tls.sh \
	tests/integration/route-auth.sh
