# The SMTP server: the protocol state machine (no I/O), relay control,
# and the connection handling in the main loop.
libmasqmail_a_SOURCES += \
	src/smtp/session.c src/smtp/session.h \
	src/smtp/relay.c src/smtp/relay.h

check_PROGRAMS += tests/unit/test-session tests/unit/test-relay
tests_unit_test_session_SOURCES = tests/unit/test-session.c
tests_unit_test_session_LDADD = $(mm_test_ldadd)
tests_unit_test_relay_SOURCES = tests/unit/test-relay.c
tests_unit_test_relay_LDADD = $(mm_test_ldadd)
TESTS += tests/unit/test-session tests/unit/test-relay
libmasqmail_a_SOURCES += src/smtp/server.c src/smtp/server.h
TESTS += \
	tests/integration/smtpd-swaks.sh \
	tests/integration/smtpd-smtplib.sh \
	tests/integration/smtpd-smtp-source.sh \
	tests/integration/smtpd-relay.sh \
	tests/integration/smtpd-wrapper.sh \
	tests/integration/smtpd-limits.sh \
	tests/integration/smtpd-early-talker.sh \
	tests/integration/smtpd-rdns.sh \
	tests/integration/smtpd-disk-full.sh \
	tests/integration/smtpd-group-commit.sh
