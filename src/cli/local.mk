masqmail_SOURCES += src/cli/main.c
