# msg: addresses, header fields, the message structure
libmasqmail_a_SOURCES += \
	src/msg/address.c src/msg/address.h \
	src/msg/header.c src/msg/header.h \
	src/msg/message.c src/msg/message.h
