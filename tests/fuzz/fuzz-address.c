/* SPDX-License-Identifier: GPL-2.0-or-later
 *
 * The address parsers of msg/address.h on the same text: as an RFC 5321
 * path (qualified or not, the null path allowed or not) and as an
 * RFC 5322 address list. Checks what address.h promises: an address
 * from either parser prints as a path that parses back to the same
 * address, and every address of a list also passes as a path.
 */
#include "config.h"

#include <string.h>

#include "msg/address.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const local_hosts[] = { "localhost", "example.org", "*.lan.example", NULL };
static const char *const local_addresses[] = { "fake@elsewhere.example", NULL };
static const char *const not_local_addresses[] = { "*-relay@example.org", NULL };
static const MmLocality locality = {
	.host_name = "mx.example.org",
	.local_hosts = local_hosts,
	.local_addresses = local_addresses,
	.not_local_addresses = not_local_addresses,
};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	mm_fuzz_init();
	return 0;
}

/* @addr printed and parsed again is @addr. */
static void
check_round_trip(const MmAddress *addr)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *path = mm_address_to_path(addr);
	g_autofree char *text = mm_address_to_string(addr);
	g_autoptr(MmAddress) back = mm_address_parse_path(path, NULL, TRUE, &error);

	if (!back)
		g_printerr("%s: %s\n", path, error->message);
	mm_fuzz_check(back != NULL, "a parsed address does not parse again as a path");
	mm_fuzz_check(mm_address_equal(addr, back, FALSE), "an address changed on the way round");
	mm_fuzz_check(strcmp(addr->local_part, back->local_part) == 0, "local part changed");
	mm_fuzz_check(mm_address_is_null(addr) == (text[0] == '\0'), "null path printed wrongly");
	(void)mm_address_is_local(addr, &locality);
	g_autoptr(MmAddress) copy = mm_address_copy(addr);
	mm_fuzz_check(mm_address_equal(addr, copy, TRUE), "a copy differs");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The parsers take C strings; a NUL ends the text as it would. */
	g_autofree char *text = g_strndup((const char *)data, size);
	static const struct {
		const char *qualify;
		gboolean allow_null;
	} paths[] = { { "example.org", TRUE }, { NULL, FALSE } };

	for (gsize i = 0; i < G_N_ELEMENTS(paths); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(MmAddress) addr = mm_address_parse_path(text, paths[i].qualify,
		                                                  paths[i].allow_null, &error);
		mm_fuzz_check((addr == NULL) == (error != NULL), "parse_path: result and error disagree");
		if (addr)
			check_round_trip(addr);
	}
	for (gsize i = 0; i < G_N_ELEMENTS(paths); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(GPtrArray) list = mm_address_parse_list(text, paths[i].qualify, &error);
		mm_fuzz_check((list == NULL) == (error != NULL), "parse_list: result and error disagree");
		for (guint j = 0; list && j < list->len; j++)
			check_round_trip(list->pdata[j]);
	}
	return 0;
}
