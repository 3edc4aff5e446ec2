/* The library's subskeleton opened on the final object's skeleton: the struct_ops
 * shadow is found in the final object (libbpf >= 1.4) and fields set before load. */
#include "final.skel.h"
#include "cc.subskel.h"
#include "cc_listed.h"

int main(void)
{
	struct final *skel = final__open();
	struct cc *lib;
	struct bpf_link *link;

	if (!skel)
		FAIL("open failed");
	lib = cc__open(skel->obj);
	if (!lib)
		FAIL("subskeleton open failed");
	printf("shadow=%d\n", lib->struct_ops.cc != NULL);
	if (lib->struct_ops.cc) {
		if ((void *)lib->struct_ops.cc != (void *)skel->struct_ops.cc)
			FAIL("subskeleton and skeleton shadows differ");
		if (lib->struct_ops.cc->ssthresh != lib->progs.cc_ssthresh)
			FAIL("the shadow's program is not the library's program");
		lib->struct_ops.cc->flags = 1; /* TCP_CONG_NON_RESTRICTED */
	}
	if (final__load(skel))
		FAIL("load failed");
	link = bpf_map__attach_struct_ops(lib->maps.cc);
	if (!link)
		FAIL("bpf_map__attach_struct_ops failed");
	printf("available=%d allowed=%d\n", cc_listed("available", CC_NAME),
	       cc_listed("allowed", CC_NAME));
	bpf_link__destroy(link);
	printf("after=%d\n", cc_listed("available", CC_NAME));
	cc__destroy(lib);
	final__destroy(skel);
	return 0;
}
