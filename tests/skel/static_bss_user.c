/* Code written against bpftool's skeleton tests obj->bss: libbpf points it at the
 * map's memory after open and sets it NULL after load (the map is not mmapable). */
#include <stdio.h>
#include "static_bss.skel.h"

int main(void)
{
	struct static_bss *obj = static_bss__open();

	if (!obj)
		return 1;
	printf("open bss=%d data=%d\n", obj->bss != NULL, obj->data != NULL);
	if (static_bss__load(obj))
		return 1;
	printf("load bss=%d data=%d\n", obj->bss != NULL, obj->data != NULL);
	if (!obj->bss)
		printf("no bss\n");
	static_bss__destroy(obj);
	return 0;
}
