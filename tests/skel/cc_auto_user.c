/* bpftool 7.5's API with libbpf >= 1.5: fields set through the struct_ops shadow
 * before load, cc__attach registers the map (skel->links.cc), cc__destroy unregisters. */
#include "cc.skel.h"
#include "cc_listed.h"

int main(void)
{
	struct cc *skel = cc__open();

	if (!skel)
		FAIL("open failed");
	if (!skel->struct_ops.cc)
		FAIL("struct_ops.cc is NULL after open");
	if (skel->struct_ops.cc->ssthresh != skel->progs.cc_ssthresh ||
	    skel->struct_ops.cc->undo_cwnd != skel->progs.cc_undo_cwnd)
		FAIL("the shadow's program members are not the skeleton's programs");
	skel->struct_ops.cc->flags = 1; /* TCP_CONG_NON_RESTRICTED: listed as allowed */
	if (cc__load(skel))
		FAIL("load failed");
	if (cc_listed("available", CC_NAME))
		FAIL("registered before attach");
	if (cc__attach(skel))
		FAIL("attach failed");
	if (!skel->links.cc)
		FAIL("links.cc not set by cc__attach");
	if (cc_listed("available", CC_NAME) != 1)
		FAIL("not registered after cc__attach");
	if (cc_listed("allowed", CC_NAME) != 1)
		FAIL("flags set through the shadow did not reach the kernel");
	cc__destroy(skel);
	if (cc_listed("available", CC_NAME) != 0)
		FAIL("still registered after cc__destroy");
	printf("ok\n");
	return 0;
}
