"""bpfsubskel: libbpf subskeletons, skeletons and test harnesses for BPF libraries."""

__version__ = "0.1.0"
