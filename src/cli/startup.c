/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * startup.c owns the order of start-up of the command-line programs:
 * standard descriptors, privileges, the configuration, logging. Exit
 * statuses are sysexits(3) values, as sendmail's.
 */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sysexits.h>
#include <unistd.h>

#include "base/error.h"
#include "base/log.h"
#include "base/privileges.h"
#include "cli/commands.h"
#include "cli/startup.h"

/* Programs may start us with 0, 1 or 2 closed; a file we open later
 * must never become the standard output or error by accident. */
static gboolean
ensure_std_fds(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) >= 0)
			continue;
		int null_fd = open("/dev/null", O_RDWR);
		if (null_fd < 0)
			return FALSE;
		if (null_fd != fd) {
			/* fds are allocated lowest first, so this cannot happen */
			close(null_fd);
			return FALSE;
		}
	}
	return TRUE;
}

gboolean
mm_cli_begin(void)
{
	if (!ensure_std_fds())
		return FALSE;
	signal(SIGPIPE, SIG_IGN);
	/* A caller's small RLIMIT_FSIZE must make a write fail (and the
	 * message be refused cleanly), not kill us halfway through it. */
	signal(SIGXFSZ, SIG_IGN);
	mm_log_init("masqmail");
	return TRUE;
}

int
mm_cli_usage_error(const GError *error)
{
	fprintf(stderr, "masqmail: %s\n%s", error->message, mm_options_usage());
	return EX_USAGE;
}

/* A caller-chosen configuration (-C, --state-dir) is trusted only as
 * far as its caller: with it, set-id privilege is given up first. */
static gboolean
settle_privileges(const MmOptions *opts, GError **error)
{
	if (!opts->conf_file && !opts->state_dir)
		return TRUE;
	return mm_priv_drop_to_caller(error);
}

int
mm_cli_load(const MmOptions *opts, MmConf **conf)
{
	g_autoptr(GError) error = NULL;

	if (!settle_privileges(opts, &error)) {
		fprintf(stderr, "masqmail: %s\n", error->message);
		return EX_OSERR;
	}
	if (opts->debug_level >= 0 && mm_priv_is_setid() &&
	    !mm_priv_caller_is_trusted(MM_USER, MM_GROUP)) {
		fprintf(stderr, "masqmail: only root and the mail user may set the debug level\n");
		return EX_NOPERM;
	}
	*conf = mm_cmd_load_configuration(opts, &error);
	if (!*conf) {
		fprintf(stderr, "masqmail: %s\n", error->message);
		/* sendmail's callers try again later on EX_TEMPFAIL only */
		return mm_error_is_temporary(error) ? EX_TEMPFAIL : EX_CONFIG;
	}
	return EX_OK;
}

static gboolean
mode_needs_log(MmMode mode)
{
	return mode == MM_MODE_ACCEPT || mode == MM_MODE_DAEMON || mode == MM_MODE_QUEUE_RUN ||
	       mode == MM_MODE_SMTP || mode == MM_MODE_REMOVE;
}

int
mm_cli_open_log(const MmOptions *opts, const MmConf *conf)
{
	g_autoptr(GError) error = NULL;
	int debug_level = opts->debug_level >= 0 ? opts->debug_level : conf->debug_level;

	mm_log_set_debug_level(debug_level);
	if (mode_needs_log(opts->mode) &&
	    !mm_log_open(conf->use_syslog, conf->log_dir, debug_level, &error)) {
		fprintf(stderr, "masqmail: %s\n", error->message);
		return mm_error_is_temporary(error) ? EX_TEMPFAIL : EX_CANTCREAT;
	}
	if (opts->verbose || (opts->mode == MM_MODE_DAEMON && opts->foreground))
		mm_log_set_stderr(TRUE);
	mm_debug(1, "masqmail %s starting: mode=%s uid=%u euid=%u conf=%s", PACKAGE_VERSION,
	         mm_options_mode_name(opts->mode), (unsigned)getuid(), (unsigned)geteuid(),
	         conf->file ? conf->file : "(embedded)");
	return EX_OK;
}
