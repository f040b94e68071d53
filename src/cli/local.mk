libmasqmail_a_SOURCES += \
	src/cli/commands.h \
	src/cli/mailq.c \
	src/cli/submit.c src/cli/submit.h \
	src/cli/deliver_cmd.c \
	src/cli/startup.c src/cli/startup.h \
	src/cli/full_program.c src/cli/full_program.h \
	src/cli/daemon_cmd.c \
	src/cli/load_conf.c \
	src/cli/status_cmd.c \
	src/cli/state_dir.c src/cli/state_dir.h \
	src/cli/version.c src/cli/version.h
masqmail_SOURCES += src/cli/main.c

# The sendmail program: the submission without GIO, GObject, libnl or
# GnuTLS (src/cli/sendmail.c). It links the same library as masqmail;
# as a static library gives it only the objects it calls, linking it
# with GLib alone fails as soon as one of them calls into GIO.
sbin_PROGRAMS += sendmail
sendmail_SOURCES = src/cli/sendmail.c
sendmail_LDADD = libmasqmail.a $(GLIB_LIBS)

check_PROGRAMS += tests/unit/test-full-program
tests_unit_test_full_program_SOURCES = tests/unit/test-full-program.c
tests_unit_test_full_program_LDADD = $(mm_test_ldadd)
TESTS += tests/unit/test-full-program \
	tests/integration/sendmail-program.sh \
	tests/integration/sendmail-delegates.sh \
	tests/integration/sendmail-libs.sh
