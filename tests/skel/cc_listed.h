/* Is NAME listed in /proc/sys/net/ipv4/tcp_<WHICH>_congestion_control? */
#include <stdio.h>
#include <string.h>

static int cc_listed(const char *which, const char *name)
{
	char path[128], word[64];
	int found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/tcp_%s_congestion_control", which);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fscanf(f, "%63s", word) == 1)
		found |= strcmp(word, name) == 0;
	fclose(f);
	return found;
}

#define FAIL(...) do { fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); return 1; } while (0)
