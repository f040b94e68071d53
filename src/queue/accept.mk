libmasqmail_a_SOURCES += src/queue/accept.c src/queue/accept.h
