noinst_LIBRARIES += netdetect/libnetdetect.a
netdetect_libnetdetect_a_SOURCES = netdetect/netdetect.h netdetect/version.c
