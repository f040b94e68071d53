libmasqmail_a_SOURCES += \
	src/base/error.c src/base/error.h \
	src/base/limits.h \
	src/base/log.c src/base/log.h
check_PROGRAMS += tests/unit/test-log
tests_unit_test_log_SOURCES = tests/unit/test-log.c
tests_unit_test_log_LDADD = $(mm_test_ldadd)
TESTS += tests/unit/test-log
libmasqmail_a_SOURCES += src/base/privileges.c src/base/privileges.h
libmasqmail_a_SOURCES += src/base/glob.c src/base/glob.h
check_PROGRAMS += tests/unit/test-glob
tests_unit_test_glob_SOURCES = tests/unit/test-glob.c
tests_unit_test_glob_LDADD = $(mm_test_ldadd)
TESTS += tests/unit/test-glob
libmasqmail_a_SOURCES += src/base/netmask.c src/base/netmask.h
