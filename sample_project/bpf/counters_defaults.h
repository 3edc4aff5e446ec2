/* Defaults of the counters BPF library's configuration (BPF side only). */
#ifndef COUNTERS_DEFAULTS_H
#define COUNTERS_DEFAULTS_H

#define COUNTERS_DEFAULT_MIN_SIZE 0

#endif
