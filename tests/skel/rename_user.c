/* Opens a skeleton under another object name (opts.object_name), loads it, and prints
 * what the skeleton sees: bpftool's skeletons fail here (their map names embed the
 * skeleton name), ours look internal maps up by section name. */
#include <stdio.h>
#include "final.skel.h"

int main(void)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = "renamed");
	struct final *skel = final__open_opts(&opts);

	if (!skel) {
		perror("open_opts");
		return 1;
	}
	skel->rodata->min_len = 7;
	if (final__load(skel)) {
		perror("load");
		return 1;
	}
	printf("name=%s\nmin_len=%u\n", bpf_object__name(skel->obj), skel->rodata->min_len);
	final__destroy(skel);
	return 0;
}
