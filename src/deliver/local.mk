# deliver: local delivery (mbox, maildir, MDA and pipe commands)
libmasqmail_a_SOURCES += \
	src/deliver/dotlock.c src/deliver/dotlock.h \
	src/deliver/expand.c src/deliver/expand.h \
	src/deliver/maildir.c src/deliver/maildir.h \
	src/deliver/mbox.c src/deliver/mbox.h \
	src/deliver/pipe.c src/deliver/pipe.h \
	src/deliver/render.c src/deliver/render.h

check_PROGRAMS += tests/unit/test-expand
tests_unit_test_expand_SOURCES = tests/unit/test-expand.c
tests_unit_test_expand_LDADD = $(mm_test_ldadd)
TESTS += tests/unit/test-expand

check_PROGRAMS += tests/unit/test-mbox
tests_unit_test_mbox_SOURCES = tests/unit/test-mbox.c
tests_unit_test_mbox_LDADD = $(mm_test_ldadd)
TESTS += tests/unit/test-mbox

check_PROGRAMS += tests/unit/test-maildir
tests_unit_test_maildir_SOURCES = tests/unit/test-maildir.c
tests_unit_test_maildir_LDADD = $(mm_test_ldadd)
TESTS += tests/unit/test-maildir

check_PROGRAMS += tests/unit/test-pipe
tests_unit_test_pipe_SOURCES = tests/unit/test-pipe.c
tests_unit_test_pipe_LDADD = $(mm_test_ldadd)
TESTS += tests/unit/test-pipe

# Drives local delivery from the shell for the root scenarios.
check_PROGRAMS += tests/unit/deliver-tool
tests_unit_deliver_tool_SOURCES = tests/unit/deliver-tool.c
tests_unit_deliver_tool_LDADD = $(mm_test_ldadd)
TESTS += tests/integration/local-delivery-safety.sh
