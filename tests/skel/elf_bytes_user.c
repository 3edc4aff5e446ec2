/* Writes the object embedded in a skeleton to stdout. */
#include <stdio.h>
#include "final.skel.h"

int main(void)
{
	size_t size;
	const void *bytes = final__elf_bytes(&size);

	return fwrite(bytes, 1, size, stdout) == size ? 0 : 1;
}
