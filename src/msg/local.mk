# msg: addresses, header fields, the message structure
libmasqmail_a_SOURCES += \
	src/msg/address.c src/msg/address.h \
	src/msg/header.c src/msg/header.h \
	src/msg/message.c src/msg/message.h

check_PROGRAMS += tests/unit/test-address
tests_unit_test_address_SOURCES = tests/unit/test-address.c
tests_unit_test_address_LDADD = $(mm_test_ldadd)
TESTS += tests/unit/test-address

check_PROGRAMS += tests/unit/test-header
tests_unit_test_header_SOURCES = tests/unit/test-header.c
tests_unit_test_header_LDADD = $(mm_test_ldadd)
TESTS += tests/unit/test-header

check_PROGRAMS += tests/unit/test-message
tests_unit_test_message_SOURCES = tests/unit/test-message.c
tests_unit_test_message_LDADD = $(mm_test_ldadd)
TESTS += tests/unit/test-message
