/* User tests of the counters library: compiled into the harness of every final object
 * the library is linked into. They only know the library's subskeleton. */
#include "counters.subskel.h"
#include "bpfsubskel_test.h"

SUBSKEL_TEST(counters, counts_packets)
{
	unsigned char packet[64] = { 0 };
	unsigned int retval = 1;
	int i;

	*lib->rodata.min_len = 10; /* configure before load */
	if (subskel_load(obj))
		return;
	for (i = 0; i < 3; i++)
		if (subskel_run(obj, "counters_probe", packet, sizeof(packet), &retval))
			return;
	ASSERT_EQ(retval, 0, "counters_probe verdict");
	ASSERT_EQ(*lib->bss.packets, 3, "packets");
	/* a socket filter's skb->len excludes the 14-byte Ethernet header */
	ASSERT_EQ(*lib->bss.bytes, 3 * (sizeof(packet) - 14), "bytes");
	ASSERT_EQ(*lib->bss.dropped, 0, "dropped");
}

SUBSKEL_TEST(counters, short_packets_are_dropped)
{
	unsigned char packet[64] = { 0 };

	*lib->rodata.min_len = 100;
	if (subskel_load(obj))
		return;
	if (subskel_run(obj, "counters_probe", packet, sizeof(packet), NULL))
		return;
	ASSERT_EQ(*lib->bss.packets, 0, "packets");
	ASSERT_EQ(*lib->bss.dropped, 1, "dropped");
}

SUBSKEL_TEST(counters, defaults)
{
	/* No load needed: the library's defaults, as linked into this final object. */
	ASSERT_EQ(*lib->data.generation, 7, "generation");
	ASSERT_OK_PTR(lib->maps.last_len, "last_len map");
	ASSERT_STREQ(bpf_program__name(lib->progs.counters_probe), "counters_probe", "program");
}
