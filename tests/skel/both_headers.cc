// A skeleton and a subskeleton of the same BPF code in one C++ translation unit.
#include "final.skel.h"
#include "lib.subskel.h"

int use_both(void)
{
	struct final *skel = final::open();
	struct lib *sub = skel ? lib::open(skel->obj) : nullptr;
	int ok = sub != nullptr;

	lib::destroy(sub);
	final::destroy(skel);
	return ok;
}
