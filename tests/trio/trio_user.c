/*
 * The kernel selftests' subskeleton test, as a program: the library's subskeleton
 * (struct trio_lib) is opened on the final object (struct trio_final, loaded through
 * its skeleton) before load to set inputs and after load to read results.
 * Prints `name=value` lines for tests/test_runtime.py to check.
 */
#include <stdio.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "trio_final.skel.h"
#include "trio_lib.subskel.h"

int main(void)
{
	struct trio_final *skel;
	struct trio_lib *lib;
	__u32 key = 1, value = 0;

	skel = trio_final__open();
	if (!skel) {
		perror("trio_final__open");
		return 1;
	}
	skel->rodata->rovar1 = 10;

	lib = trio_lib__open(skel->obj);
	if (!lib) {
		perror("trio_lib__open before load");
		return 1;
	}
	*lib->rodata.var1 = 1;
	*lib->data.var2 = 2;
	lib->bss.var3->var3_1 = 3;
	lib->bss.var3->var3_2 = 4;
	trio_lib__destroy(lib);

	if (trio_final__load(skel) || trio_final__attach(skel)) {
		perror("load/attach");
		return 1;
	}
	usleep(1); /* any syscall runs the raw_tp/sys_enter program */

	lib = trio_lib__open(skel->obj);
	if (!lib) {
		perror("trio_lib__open after load");
		return 1;
	}
	printf("out1=%d\n", skel->bss->out1);
	printf("libout1=%d\n", *lib->bss.libout1);
	printf("var5=%d\n", *lib->data.var5);
#ifdef LIB_DEFINES_VAR6
	printf("var6=%d\n", *lib->data.var6);
#endif
	printf("CONFIG_BPF_SYSCALL=%d\n", (int)*lib->kconfig.CONFIG_BPF_SYSCALL);
	printf("map1=%s\n", bpf_map__name(lib->maps.map1));
	printf("map2=%s\n", bpf_map__name(lib->maps.map2));
	printf("prog=%s\n", bpf_program__name(lib->progs.lib_perf_handler));
	if (bpf_map__lookup_elem(lib->maps.map2, &key, sizeof(key), &value, sizeof(value), 0))
		perror("map2 lookup");
	printf("map2[1]=%u\n", value);
	trio_lib__destroy(lib);
	trio_final__destroy(skel);
	return 0;
}
