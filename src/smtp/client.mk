# client: the SMTP client (replies, connections, sessions)
libmasqmail_a_SOURCES += \
	src/smtp/client.c src/smtp/client.h \
	src/smtp/connect.c src/smtp/connect.h \
	src/smtp/reply.c src/smtp/reply.h

check_PROGRAMS += tests/unit/test-reply
tests_unit_test_reply_SOURCES = tests/unit/test-reply.c
tests_unit_test_reply_LDADD = $(mm_test_ldadd)
TESTS += tests/unit/test-reply

# Drives the client from the shell scenarios below.
check_PROGRAMS += tests/unit/smtp-send-tool
tests_unit_smtp_send_tool_SOURCES = tests/unit/smtp-send-tool.c
tests_unit_smtp_send_tool_LDADD = $(mm_test_ldadd)

check_PROGRAMS += tests/unit/test-client
tests_unit_test_client_SOURCES = tests/unit/test-client.c
tests_unit_test_client_LDADD = $(mm_test_ldadd)
TESTS += tests/unit/test-client

# against real servers, through smtp-send-tool
TESTS += \
	tests/integration/smtpc-sink.sh \
	tests/integration/smtpc-aiosmtpd.sh \
	tests/integration/smtpc-bdat.sh
EXTRA_DIST += tests/integration/smtpc-bdat-relay.py
