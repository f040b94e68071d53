# smtp/tls: TLS with GnuTLS (tls.h, tls-gnutls.c) and the SASL mechanisms of SMTP AUTH
libmasqmail_a_SOURCES += \
	src/smtp/tls.h src/smtp/tls-gnutls.c \
	src/smtp/sasl.h src/smtp/sasl.c

# A throwaway CA with server and client certificates, for the tests.
dist_noinst_SCRIPTS += tests/lib/make-test-ca.sh

check_PROGRAMS += tests/unit/test-sasl
tests_unit_test_sasl_SOURCES = tests/unit/test-sasl.c
tests_unit_test_sasl_LDADD = $(mm_test_ldadd)
TESTS += tests/unit/test-sasl

check_PROGRAMS += tests/unit/test-tls
tests_unit_test_tls_SOURCES = tests/unit/test-tls.c
tests_unit_test_tls_CPPFLAGS = $(AM_CPPFLAGS) -DMM_TEST_SRCDIR='"$(abs_top_srcdir)"'
tests_unit_test_tls_LDADD = $(mm_test_ldadd)
TESTS += tests/unit/test-tls
