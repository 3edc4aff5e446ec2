"""C identifiers: deriving object names, sanitizing section names, validating names."""

from __future__ import annotations

import os
import re

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_NON_IDENT_CHAR = re.compile(r"[^A-Za-z0-9_]")

# Words a generated identifier must not be: the keywords and reserved spellings of every
# C and C++ dialect a generated header may be compiled as (C89..C23, GNU C, C++98..C++26,
# GNU C++), as gcc (c-family/c-common.cc c_common_reswords) and clang (TokenKinds.def)
# tokenize them, plus the preprocessor's own operators. A struct member, function or
# macro parameter of one of these names does not compile in at least one of those modes.
# This is the one table every generator uses (through identifier_problem).
RESERVED_WORDS = frozenset(
    """
    auto break case char const continue default do double else enum extern float for goto
    if inline int long register restrict return short signed sizeof static struct switch
    typedef union unsigned void volatile while
    _Alignas _Alignof _Atomic _BitInt _Bool _Complex _Decimal32 _Decimal64 _Decimal128
    _Generic _Imaginary _Noreturn _Static_assert _Thread_local _Countof _Defer _ExtInt
    alignas alignof bool constexpr false nullptr static_assert thread_local true typeof
    typeof_unqual
    _Float16 _Float32 _Float64 _Float128 _Float32x _Float64x _Float128x _Fract _Accum _Sat
    _Nonnull _Nullable _Nullable_result _Null_unspecified _Pragma
    asm __asm __asm__ __attribute __attribute__ __extension__ __inline __inline__
    __volatile __volatile__ __const __const__ __restrict __restrict__ __signed __signed__
    __typeof __typeof__ __typeof_unqual __typeof_unqual__ __alignof __alignof__ __label__
    __auto_type __int128 __thread __real __real__ __imag __imag__ __complex __complex__
    __func__ __FUNCTION__ __PRETTY_FUNCTION__ __null __nullptr __decltype __constinit
    __float128 __float80 __ibm128 __bf16 __fp16 __seg_fs __seg_gs __bases
    __direct_bases __underlying_type __transaction_atomic __transaction_relaxed
    __transaction_cancel __GIMPLE __RTL __PHI __MEM __BIT_FIELD_REF __BIT_INSERT
    __private_extern__ __module_private__ __cdecl __stdcall __fastcall __thiscall
    __regcall __vectorcall __pascal __ptrauth __funcref __objc_yes __objc_no __ob_wrap
    __ob_trap __char16_t __char32_t
    __builtin_va_list __builtin_ms_va_list __int128_t __uint128_t __NSConstantString
    defined __has_include __has_include_next __has_embed __has_attribute
    __has_c_attribute __has_cpp_attribute __has_builtin __has_feature __has_extension
    __has_warning __is_identifier __is_target_arch __is_target_vendor __is_target_os
    __is_target_environment __VA_ARGS__ __VA_OPT__
    and and_eq bitand bitor catch char8_t char16_t char32_t class co_await co_return
    co_yield compl concept consteval constinit const_cast contract_assert decltype delete
    dynamic_cast explicit export friend mutable namespace new noexcept not not_eq operator
    or or_eq private protected public reflexpr reinterpret_cast requires static_cast
    template this throw try typeid typename using virtual wchar_t xor xor_eq
    synchronized atomic_noexcept atomic_cancel atomic_commit transaction_safe
    transaction_safe_dynamic
    """.split()
)
# Prefixes of names the compilers keep for themselves: builtins (many are keywords, e.g.
# __builtin_offsetof, __builtin_types_compatible_p), C++ type traits (keywords in g++ and
# clang++: __is_same, __has_trivial_copy, __reference_binds_to_temporary...).
RESERVED_PREFIXES = ("__builtin_", "__is_", "__has_", "__reference_")
# `_Upper...` and `__Upper...` are the spelling of the compilers' keywords and predefined
# macros (_LP64, __INT_MAX__, __SSE2__, __SEG_FS...), which vary by target; `__x__` is
# that of their lower-case macros (__x86_64__, __linux__, __k8__...). Names like __pad0 or
# __u32 stay allowed.
_RESERVED_SPELLING = re.compile(r"_[A-Z]|__[A-Z]|__\w*__\Z")

# Macros that the generated headers' includes or GNU C modes define: a variable of this
# name would be macro-expanded into nonsense. (`__x__` spellings are covered above.)
PREDEFINED_MACROS = frozenset(
    """
    errno stdin stdout stderr NULL EOF linux unix i386
    __linux __unix __gnu_linux __amd64 __x86_64 __k8 __i386 __i486 __i586 __i686
    __pentium4 __aarch64 __arm __riscv __mips __mips64 __powerpc __powerpc64 __ppc __ppc64
    __s390 __s390x __sparc __sparc64 __loongarch64 __bpf
    """.split()
)


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
    if name in RESERVED_WORDS:
        return "is a C or C++ keyword (a generated header would not compile)"
    if name in PREDEFINED_MACROS:
        return "is a standard C macro (a generated header would not compile)"
    if name.startswith(RESERVED_PREFIXES) or _RESERVED_SPELLING.match(name):
        return ("is reserved for the compiler's keywords, builtins and predefined macros "
                "(a generated header may not compile)")
    if name[0].isdigit():
        return "starts with a digit"
    if not _IDENT.match(name):
        return "contains characters other than letters, digits and '_'"
    return None
