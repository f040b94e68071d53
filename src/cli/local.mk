libmasqmail_a_SOURCES += \
	src/cli/commands.h \
	src/cli/mailq.c \
	src/cli/submit.c \
	src/cli/daemon_cmd.c \
	src/cli/load_conf.c \
	src/cli/status_cmd.c \
	src/cli/state_dir.c src/cli/state_dir.h \
	src/cli/version.c src/cli/version.h
masqmail_SOURCES += src/cli/main.c
