# The daemon's link state: netdetect in the daemon, runs on link-up.
libmasqmail_a_SOURCES += src/daemon/state.c src/daemon/state.h
