/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Where the configuration comes from: --state-dir's embedded one, the
 * file of -C, or the compiled-in masqmail.conf. Start-up and the
 * daemon's SIGHUP both read it through here.
 */
#include "config.h"

#include "cli/commands.h"
#include "cli/state_dir.h"

MmConf *
mm_cmd_load_configuration(const MmOptions *opts, GError **error)
{
	g_autofree char *path = NULL;

	if (opts->state_dir)
		return mm_state_dir_conf(opts->state_dir, error);
	path = opts->conf_file ? g_strdup(opts->conf_file)
	                       : g_build_filename(MM_CONF_DIR, "masqmail.conf", NULL);
	return mm_conf_load(path, error);
}
