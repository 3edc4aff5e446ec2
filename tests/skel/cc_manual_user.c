/* Any libbpf: the struct_ops map attached by hand. With libbpf >= 1.4 the shadow is
 * set after open (bpf_map__initial_value); older ones return NULL for it. */
#include "cc.skel.h"
#include "cc_listed.h"

int main(void)
{
	struct cc *skel = cc__open();
	struct bpf_link *link;

	if (!skel)
		FAIL("open failed");
	printf("shadow=%d\n", skel->struct_ops.cc != NULL);
	if (skel->struct_ops.cc)
		skel->struct_ops.cc->flags = 1; /* TCP_CONG_NON_RESTRICTED */
	if (cc__load(skel))
		FAIL("load failed");
	link = bpf_map__attach_struct_ops(skel->maps.cc);
	if (!link)
		FAIL("bpf_map__attach_struct_ops failed");
	printf("available=%d allowed=%d\n", cc_listed("available", CC_NAME),
	       cc_listed("allowed", CC_NAME));
	bpf_link__destroy(link);
	printf("after=%d\n", cc_listed("available", CC_NAME));
	cc__destroy(skel);
	return 0;
}
