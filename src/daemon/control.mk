# The control socket, the status report and the provider profiles.
libmasqmail_a_SOURCES += src/daemon/profiles.h
