# The daemon's link state: netdetect in the daemon, runs on link-up.
libmasqmail_a_SOURCES += src/daemon/state.c src/daemon/state.h
libmasqmail_a_SOURCES += src/daemon/links.c src/daemon/links.h

# The daemon on simulated links, in network namespaces (root; skipped
# otherwise).
dist_noinst_DATA += tests/netns/daemon-lib.sh
TESTS += \
	tests/netns/daemon-dialup.sh \
	tests/netns/daemon-hangup.sh \
	tests/netns/daemon-hangup-new-mail.sh \
	tests/netns/daemon-flapping.sh \
	tests/netns/daemon-providers.sh \
	tests/netns/daemon-gateway.sh \
	tests/netns/daemon-retry.sh

# Not a test: the time from `ip route add default dev ppp0` to the relay
# seeing the daemon's connection and its first message.
dist_noinst_SCRIPTS += tests/bench/linkup-delivery.sh
