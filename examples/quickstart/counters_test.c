/* Tests of the counters library, written once, compiled into the harness of every
 * final object that links the library. */
#include "counters.subskel.h"
#include "bpfsubskel_test.h"

SUBSKEL_TEST(counters, defaults)
{
	ASSERT_EQ(*lib->rodata.sample_every, 1, "sample_every default");
	ASSERT_EQ(*lib->bss.events_seen, 0, "events_seen before load");
}

SUBSKEL_TEST(counters, configuration_reaches_the_kernel)
{
	*lib->rodata.sample_every = 5; /* before load */
	if (subskel_load(obj))
		return;
	ASSERT_EQ(*lib->rodata.sample_every, 5, "sample_every after load");
}
