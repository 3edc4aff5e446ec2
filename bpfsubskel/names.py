"""C identifiers: deriving object names, sanitizing section names, validating names."""

from __future__ import annotations

import os
import re

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_NON_IDENT_CHAR = re.compile(r"[^A-Za-z0-9_]")

# Words a generated identifier must not be: C and C++ keywords, plus names the
# generated code itself declares at file scope or in every struct.
C_CXX_KEYWORDS = frozenset(
    """
    alignas alignof and and_eq asm auto bitand bitor bool break case catch char char8_t
    char16_t char32_t class compl concept const consteval constexpr constinit const_cast
    continue co_await co_return co_yield decltype default delete do double dynamic_cast else
    enum explicit export extern false float for friend goto if inline int long mutable
    namespace new noexcept not not_eq nullptr operator or or_eq private protected public
    register reinterpret_cast requires restrict return short signed sizeof static
    static_assert static_cast struct switch template this thread_local throw true try typedef
    typeid typename union unsigned using virtual void volatile wchar_t while xor xor_eq
    _Alignas _Alignof _Atomic _Bool _Complex _Generic _Imaginary _Noreturn _Static_assert
    _Thread_local
    """.split()
)
# Macros that the generated headers' includes or GNU C modes define: a variable of this
# name would be macro-expanded into nonsense.
PREDEFINED_MACROS = frozenset("errno stdin stdout stderr NULL EOF linux unix i386".split())


def sanitize(text: str) -> str:
    """Replace every character that may not appear in a C identifier with `_`."""
    return _NON_IDENT_CHAR.sub("_", text)


def default_object_name(path: str) -> str:
    """`dir/my-lib.bpf.o` -> `my_lib`: basename without `.bpf.o`/`.o`, sanitized."""
    base = os.path.basename(path)
    for suffix in (".bpf.o", ".o"):
        if base.endswith(suffix) and len(base) > len(suffix):
            base = base[: -len(suffix)]
            break
    return sanitize(base)


def identifier_problem(name: str) -> str | None:
    """Why `name` cannot be used as a C identifier, or None if it can."""
    if not name:
        return "is empty"
    if name in C_CXX_KEYWORDS:
        return "is a C or C++ keyword"
    if name in PREDEFINED_MACROS:
        return "is a standard C macro (a generated header would not compile)"
    if name[0].isdigit():
        return "starts with a digit"
    if not _IDENT.match(name):
        return "contains characters other than letters, digits and '_'"
    return None
