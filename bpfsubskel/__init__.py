"""bpfsubskel: libbpf subskeletons, skeletons and test harnesses for BPF libraries."""

import os as _os
import signal as _signal
import sys as _sys

__version__ = "0.1.0"

# Set by cli.main while it runs: from then on Ctrl-C raises KeyboardInterrupt, which main
# turns into exit status 130 after cleaning up; before (start-up), it exits at once.
_cli_running = False


def _on_sigint(signum: int, frame: object) -> None:
    if _cli_running:
        raise KeyboardInterrupt
    _os._exit(130)


# As a command (python -m bpfsubskel, or the bpfsubskel script), an interrupt during
# start-up must not print a traceback: install the handler as the first thing we run.
if (_sys.argv[:1] == ["-m"] or _os.path.basename(_sys.argv[0] if _sys.argv else "")
        == "bpfsubskel"):
    _signal.signal(_signal.SIGINT, _on_sigint)
