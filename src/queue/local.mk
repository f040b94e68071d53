# queue: message ids, the spool (the only code that touches its files),
# the queue listing and removal; and the safe file primitives of base/
# that the spool is built on.
libmasqmail_a_SOURCES += \
	src/queue/uid.c src/queue/uid.h
