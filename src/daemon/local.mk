libmasqmail_a_SOURCES += \
	src/daemon/listen.c src/daemon/listen.h \
	src/daemon/daemon.c src/daemon/daemon.h
