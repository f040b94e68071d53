# The control socket, the status report and the provider profiles.
libmasqmail_a_SOURCES += src/daemon/profiles.h
libmasqmail_a_SOURCES += src/daemon/profiles.c \
	src/daemon/control.c src/daemon/control.h \
	src/daemon/status.c src/daemon/status.h
libmasqmail_a_SOURCES += src/cli/status_cmd.c

TESTS += \
	tests/integration/control-socket.sh \
	tests/integration/control-handover.sh
