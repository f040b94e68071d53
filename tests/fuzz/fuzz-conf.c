/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The masqmail.conf parser (mm_conf_load_data()): any text either
 * loads or fails with MM_ERROR_CONFIG and a "FILE:LINE: text" message,
 * and a loaded configuration can be printed option by option.
 *
 * List items and host_name values that are absolute paths read files;
 * the fuzzer may name any file of the machine it runs on, which is the
 * same as a configuration file doing it.
 */
#include "config.h"

#include "base/error.h"
#include "conf/conf.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	mm_fuzz_init();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(MmConf) conf = mm_conf_load_data((const char *)data, size, "fuzz.conf", &error);

	if (!conf) {
		mm_fuzz_check(error != NULL, "no configuration and no error");
		mm_fuzz_check(g_error_matches(error, MM_ERROR, MM_ERROR_CONFIG), "not a configuration error");
		mm_fuzz_check(g_str_has_prefix(error->message, "fuzz.conf:") ||
		                  error->message[0] == '/',
		              "a configuration error that does not say where");
		return 0;
	}
	mm_fuzz_check(error == NULL, "a configuration and an error");
	mm_fuzz_check(conf->host_name != NULL, "no host_name after a successful load");

	gsize n;
	const MmConfKeyword *kws = mm_conf_keywords(&n);
	for (gsize i = 0; i < n; i++) {
		g_autofree char *value = mm_conf_format_value(&kws[i], conf);
		mm_fuzz_check(value != NULL, "an option without a printed value");
	}
	MmLocality locality;
	mm_conf_locality(conf, &locality);
	for (guint i = 0; i < conf->query_routes->len; i++) {
		const MmConfQueryRoute *q = conf->query_routes->pdata[i];
		mm_fuzz_check(mm_conf_query_route_files(conf, q->name) != NULL, "a query route not found by name");
	}
	return 0;
}
