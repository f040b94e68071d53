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

# local mail end to end, through the masqmail command and real clients
TESTS += \
	tests/integration/local-delivery.sh \
	tests/integration/local-queue-run.sh \
	tests/integration/local-dots.sh \
	tests/integration/local-t.sh \
	tests/integration/local-mda.sh \
	tests/integration/local-maildir.sh \
	tests/integration/local-aliases.sh \
	tests/integration/local-aliases-botched.sh \
	tests/integration/local-warn-fail.sh \
	tests/integration/local-full-disk.sh \
	tests/integration/local-mailx.sh \
	tests/integration/local-mutt.sh

# queue runs and the sendmail command line through routes, against
# real relays (aiosmtpd, smtp-sink, a relay that hangs up)
TESTS += \
	tests/integration/queue-sendmail.sh \
	tests/integration/queue-qo.sh \
	tests/integration/queue-bounce.sh \
	tests/integration/queue-drop-after-dot.sh \
	tests/integration/queue-batch.sh
EXTRA_DIST += tests/integration/queue-batch-relay.py
