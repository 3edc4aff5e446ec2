"""The Meson front end: `import('subskel')` (module.py) over Meson internals (compat.py).

Imported only by Meson, through the import hook _bpfsubskel_meson_hook; the
command line never imports it.
"""
