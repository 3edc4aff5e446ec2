/* Tests of the counters library, written once: CMake and Meson compile them into the
 * harness of every final object the library is linked into. */
#include "counters_types.h" /* before the subskeleton, which names its types */
#include "counters.subskel.h"
#include "bpfsubskel_test.h"

SUBSKEL_TEST(counters, counts_what_it_is_fed)
{
	unsigned char packet[100] = { 0 };
	unsigned int slot = 0;
	__u64 recent = 0;
	int i;

	*lib->rodata.target_tgid = 0; /* whatever process runs the test */
	if (subskel_load(obj))
		return;
	for (i = 0; i < 3; i++)
		if (subskel_run(obj, "counters_probe", packet, sizeof(packet), NULL))
			return;
	ASSERT_EQ(*lib->bss.events, 3, "events");
	/* a socket filter's skb->len excludes the 14-byte Ethernet header */
	ASSERT_EQ(*lib->bss.bytes, 3 * (sizeof(packet) - 14), "bytes");
	ASSERT_OK(bpf_map__lookup_elem(lib->maps.recent, &slot, sizeof(slot), &recent,
				       sizeof(recent), 0), "recent[0]");
	ASSERT_EQ(recent, sizeof(packet) - 14, "recent[0] value");
	ASSERT_EQ(lib->bss.last_event->size, sizeof(packet) - 14, "last_event.size");
}

SUBSKEL_TEST(counters, min_size_filters)
{
	unsigned char packet[64] = { 0 };

	*lib->rodata.min_size = 1000;
	if (subskel_load(obj))
		return;
	if (subskel_run(obj, "counters_probe", packet, sizeof(packet), NULL))
		return;
	ASSERT_EQ(*lib->bss.events, 0, "events below min_size");
}
