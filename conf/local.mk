# conf: example configuration, installed for reference only; nothing is
# written to the system configuration directory.
examplesdir = $(pkgdatadir)/examples
dist_examples_DATA = conf/masqmail.conf conf/isp.route conf/lan.route conf/aliases
