libmasqmail_a_SOURCES += \
	src/daemon/listen.c src/daemon/listen.h \
	src/daemon/pidfile.c src/daemon/pidfile.h \
	src/daemon/jobs.c src/daemon/jobs.h \
	src/daemon/reaper.c src/daemon/reaper.h \
	src/daemon/daemon.c src/daemon/daemon.h

TESTS += \
	tests/integration/daemon-deliver.sh \
	tests/integration/daemon-bs-deliver.sh \
	tests/integration/daemon-interval.sh \
	tests/integration/daemon-reload.sh \
	tests/integration/daemon-term.sh \
	tests/integration/daemon-idle.sh \
	tests/integration/daemon-bindnow.sh \
	tests/integration/daemon-detach.sh \
	tests/integration/daemon-concurrency.sh
