# conf: example configuration, installed for reference only; nothing is
# written to the system configuration directory.
examplesdir = $(pkgdatadir)/examples
dist_examples_DATA = conf/masqmail.conf conf/isp.route conf/lan.route conf/aliases

# The systemd unit, with this build's paths. It goes where systemd looks
# for units of packages, under the installation's own prefix, so that a
# DESTDIR or a non-root prefix installs it without touching the system.
systemdunitdir = $(prefix)/lib/systemd/system
systemdunit_DATA = conf/masqmail.service
EXTRA_DIST += conf/masqmail.service.in
CLEANFILES += conf/masqmail.service
conf/masqmail.service: $(srcdir)/conf/masqmail.service.in Makefile
	$(MKDIR_P) conf
	sed -e 's|@sbindir[@]|$(sbindir)|g' -e 's|@MM_PID_DIR[@]|$(MM_PID_DIR)|g' \
		$(srcdir)/conf/masqmail.service.in >$@.tmp && mv $@.tmp $@
