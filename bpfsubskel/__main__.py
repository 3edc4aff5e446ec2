import os
import sys

from .cli import main

status = main()
# A short-lived CLI: skip tearing down the object graph of a large BPF object.
sys.stdout.flush()
sys.stderr.flush()
os._exit(status)
