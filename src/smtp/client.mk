# client: the SMTP client (replies, connections, sessions)
libmasqmail_a_SOURCES += \
	src/smtp/reply.c src/smtp/reply.h

check_PROGRAMS += tests/unit/test-reply
tests_unit_test_reply_SOURCES = tests/unit/test-reply.c
tests_unit_test_reply_LDADD = $(mm_test_ldadd)
TESTS += tests/unit/test-reply
