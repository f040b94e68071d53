libmasqmail_a_SOURCES += \
	src/base/error.c src/base/error.h \
	src/base/limits.h \
	src/base/log.c src/base/log.h
libmasqmail_a_SOURCES += src/base/privileges.c src/base/privileges.h
