# bounce: failure notices and delay warnings from the errmsg_file and
# warnmsg_file templates, and when a deferred message is due for one
libmasqmail_a_SOURCES += \
	src/deliver/bounce.c src/deliver/bounce.h \
	src/deliver/template.c src/deliver/template.h

# The default templates, where errmsg_file and warnmsg_file point
# unless the configuration says otherwise (conf.c: MM_DATADIR/tpl).
tpldir = $(pkgdatadir)/tpl
dist_tpl_DATA = conf/tpl/failmsg.tpl conf/tpl/warnmsg.tpl
