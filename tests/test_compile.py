"""Every good corpus object's subskeleton compiles as C and C++, and lists what the ELF has.

For each tests/corpus/*.bpf.c (except bad_*), the header is generated once per session
and a translation unit that includes corpus_types.h + the header, opens and destroys
the subskeleton and touches every member, is compiled with gcc, clang, g++ and clang++
under -Wall -Wextra -Werror. bad_* objects must be refused with exit status 2.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import subskel_text as st
from conftest import CORPUS, run_cc, run_cli

GOOD = sorted(p.name[: -len(".bpf.c")] for p in CORPUS.glob("*.bpf.c")
              if not p.name.startswith("bad_"))
BAD = sorted(p.name[: -len(".bpf.c")] for p in CORPUS.glob("bad_*.bpf.c"))

WARN = ["-Wall", "-Wextra", "-Werror"]
COMPILERS: dict[str, list[str]] = {
    "gcc-c11": ["gcc", "-x", "c", "-std=c11"],
    "gcc": ["gcc", "-x", "c"],
    "clang-c11": ["clang", "-x", "c", "-std=c11"],
    "clang": ["clang", "-x", "c"],
    "g++-c++17": ["g++", "-x", "c++", "-std=c++17"],
    "clang++-c++17": ["clang++", "-x", "c++", "-std=c++17"],
}


def _ident(stem: str) -> str:
    return re.sub(r"\W", "_", stem)


@pytest.fixture(scope="session")
def headers(corpus_objects: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
            ) -> dict[str, Path]:
    """{stem: generated header} for every good object, named `<stem>_lib`."""
    out = tmp_path_factory.mktemp("headers")
    result = {}
    for stem in GOOD:
        header = out / f"{stem}.subskel.h"
        run_cli("subskel", corpus_objects[stem], "-o", header, "--name", f"{_ident(stem)}_lib",
                check=True)
        result[stem] = header
    return result


def _parsed(headers: dict[str, Path], stem: str) -> st.Header:
    return st.parse_file(headers[stem], f"{_ident(stem)}_lib")


def use_function(name: str, h: st.Header, var_sizes: dict[str, int] | None = None) -> str:
    """A C/C++ function that opens the subskeleton, takes every member's address, destroys.

    With var_sizes ({variable: ELF symbol size}), each pointee's size is also asserted.
    """
    addrs = ["&s->obj", "&s->subskel"]
    sizes = ["sizeof(*s)"]
    asserts = []
    for m in h.maps:
        addrs.append(f"&s->maps.{m}")
    for p in h.progs:
        addrs.append(f"&s->progs.{p}")
    for ident, (_, members) in h.struct_ops.items():
        addrs.append(f"&s->struct_ops.{ident}")
        addrs += [f"&s->struct_ops.{ident}->{n}" for n, _ in members]
    for sec, m in h.all_vars():
        addrs.append(f"&s->{sec}.{m.name}")
        sizes.append(f"sizeof(*s->{sec}.{m.name})")
        if var_sizes and m.name in var_sizes:
            asserts.append(f"\tSTATIC_ASSERT(sizeof(*s->{sec}.{m.name}) == {var_sizes[m.name]}, "
                           f'"size of {m.name}");')
    assert_lines = "\n".join(asserts)
    addr_list = ",\n\t\t".join(addrs)
    size_sum = "\n\t\t+ ".join(sizes)
    return f"""
int use_{name}(struct bpf_object *o);
int use_{name}(struct bpf_object *o)
{{
	struct {name} *s = {name}__open(o);
	const void *addrs[] = {{
		{addr_list}
	}};
{assert_lines}
	unsigned long total = {size_sum};
	int n = (int)(sizeof(addrs) / sizeof(addrs[0])) + (int)total + (addrs[0] != 0);

	{name}__destroy(s);
#ifdef __cplusplus
	{name}::destroy({name}::open(o));
#endif
	return n;
}}
"""


def translation_unit(includes: list[Path], uses: list[tuple[str, st.Header]],
                     var_sizes: dict[str, int] | None = None) -> str:
    lines = ['#include "corpus_types.h"']
    lines += [f'#include "{h}"' for h in includes]
    lines.append("#ifdef __cplusplus\n#define STATIC_ASSERT static_assert\n"
                 "#else\n#define STATIC_ASSERT _Static_assert\n#endif")
    lines.append("#ifdef __cplusplus\nextern \"C\" {\n#endif")
    lines += [use_function(name, h, var_sizes) for name, h in uses]
    lines.append("#ifdef __cplusplus\n}\n#endif")
    return "\n".join(lines) + "\n"


def compile_tu(compiler: str, source: Path) -> subprocess.CompletedProcess[str]:
    cmd = COMPILERS[compiler]
    return run_cc(cmd[0], source, source.with_suffix(".o"), *cmd[1:], *WARN,
                  f"-I{CORPUS}", "-c")


@pytest.mark.parametrize("compiler", list(COMPILERS))
@pytest.mark.parametrize("stem", GOOD)
def test_header_compiles(stem: str, compiler: str, headers: dict[str, Path],
                         corpus_objects: dict[str, Path], tmp_path: Path) -> None:
    h = _parsed(headers, stem)
    source = tmp_path / f"use_{stem}.c"
    sizes = {v.name: v.size for v in st.elf_global_vars(corpus_objects[stem])}
    source.write_text(translation_unit([headers[stem]], [(h.name, h)], sizes))
    result = compile_tu(compiler, source)
    assert result.returncode == 0, (
        f"{compiler} rejects the subskeleton of {stem}.bpf.o:\n{result.stderr}\n"
        f"--- header ---\n{headers[stem].read_text()}"
    )


@pytest.mark.parametrize("compiler", ["g++-c++17", "clang++-c++17", "gcc"])
@pytest.mark.parametrize("stem", GOOD)
def test_two_headers_of_one_object_in_one_tu(stem: str, compiler: str,
                                             corpus_objects: dict[str, Path],
                                             tmp_path: Path) -> None:
    """Two subskeletons of the same object (different names) coexist in one TU.

    Inlining anonymous enums (bpftool does) would redeclare their enumerators here.
    """
    uses = []
    includes = []
    for name in (f"{_ident(stem)}_one", f"{_ident(stem)}_two"):
        header = tmp_path / f"{name}.subskel.h"
        run_cli("subskel", corpus_objects[stem], "-o", header, "--name", name, check=True)
        includes.append(header)
        uses.append((name, st.parse_file(header, name)))
    source = tmp_path / "both.c"
    source.write_text(translation_unit(includes, uses))
    result = compile_tu(compiler, source)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("stem", GOOD)
def test_header_lists_what_the_object_has(stem: str, corpus_objects: dict[str, Path],
                                          headers: dict[str, Path]) -> None:
    """Never empty (B1); every data section is a map; members are the ELF's public globals."""
    text = headers[stem].read_text()
    assert text.strip(), f"empty header for {stem} (bpftool bug B1)"
    h = _parsed(headers, stem)
    assert not h.duplicate_members
    obj = corpus_objects[stem]

    # every data section is a map, looked up by its full ELF section name
    sections = st.elf_data_sections(obj)
    internal = [n for n in h.map_lookups if n.startswith(".") and n != ".kconfig"]
    assert internal == sections
    assert [h.maps[h.map_lookups.index(s)] for s in sections] == \
        [st.section_ident(s) for s in sections]

    # variables: public (non-hidden) globals, in their section's struct, by offset
    elf_vars = [v for v in st.elf_global_vars(obj) if not v.hidden]
    expected: dict[str, list[str]] = {}
    for v in sorted(elf_vars, key=lambda v: (v.section, v.offset)):
        expected.setdefault(st.section_ident(v.section), []).append(v.name)
    got = {sec: [m.name for m in members] for sec, members in h.var_structs.items()
           if sec != "kconfig"}
    assert got == expected
    assert not any(sec not in h.maps for sec in h.var_structs)

    # vars[] lists exactly the struct members, in the same order
    assert h.var_lookups == [m.name for _, m in h.all_vars()]
    assert h.prog_lookups == h.progs


def test_rodata_str_section_is_a_map_without_struct(corpus_objects: dict[str, Path],
                                                    headers: dict[str, Path]) -> None:
    obj = corpus_objects["strings"]
    str_sections = [s for s in st.elf_section_names(obj) if s.startswith(".rodata.str")]
    assert str_sections, "strings.bpf.c no longer produces a .rodata.str* section"
    h = _parsed(headers, "strings")
    for sec in str_sections:
        assert sec in h.map_lookups
        assert st.section_ident(sec) in h.maps
        assert st.section_ident(sec) not in h.var_structs


def test_statics_only_sections_have_no_struct(corpus_objects: dict[str, Path],
                                              headers: dict[str, Path]) -> None:
    obj = corpus_objects["statics"]
    h = _parsed(headers, "statics")
    public = {v.section for v in st.elf_global_vars(obj) if not v.hidden}
    statics_only = [s for s in st.elf_data_sections(obj) if s not in public]
    assert statics_only, "statics.bpf.c should have sections holding only statics/hidden"
    for sec in statics_only:
        assert st.section_ident(sec) in h.maps
        assert st.section_ident(sec) not in h.var_structs
    hidden = [v.name for v in st.elf_global_vars(obj) if v.hidden]
    assert hidden
    assert not set(hidden) & {m.name for _, m in h.all_vars()}
    assert not set(hidden) & set(h.var_lookups)


def test_kconfig_members_and_modifiers(headers: dict[str, Path],
                                       corpus_objects: dict[str, Path]) -> None:
    from elftools.elf.elffile import ELFFile

    with corpus_objects["kconfig"].open("rb") as f:
        undefined = {s.name for s in ELFFile(f).get_section_by_name(".symtab").iter_symbols()
                     if s["st_shndx"] == "SHN_UNDEF" and s.name}
    h = _parsed(headers, "kconfig")
    assert "kconfig" in h.maps
    assert h.map_lookups[h.maps.index("kconfig")] == ".kconfig"
    members = h.var_structs["kconfig"]
    assert {m.name for m in members} == {n for n in undefined if n.startswith(("CONFIG_",
                                                                           "LINUX_"))}
    # modifiers are kept for .kconfig (the source declares the hostname `const char[16]`)
    hostname = next(m for m in members if m.name == "CONFIG_DEFAULT_HOSTNAME")
    assert "const" in hostname.decl


def test_ksyms_and_extern_variables_are_not_members(headers: dict[str, Path]) -> None:
    h = _parsed(headers, "ksyms")
    names = {m.name for _, m in h.all_vars()}
    assert "ksym_seen" in names
    assert not names & {"bpf_prog_active", "bpf_link_fops", "bpf_rcu_read_lock"}
    assert "ksyms" not in h.maps

    h = _parsed(headers, "extern_unresolved")
    names = {m.name for _, m in h.all_vars()}
    assert names == {"own_var"}
    assert "shared_map" in h.maps  # an extern map, bound by name at runtime
    assert "provided_elsewhere" in headers["extern_unresolved"].read_text()  # in a comment


def test_programs_order_and_exclusions(headers: dict[str, Path],
                                       corpus_objects: dict[str, Path]) -> None:
    from elftools.elf.elffile import ELFFile

    with corpus_objects["programs"].open("rb") as f:
        elf = ELFFile(f)
        funcs = []
        for s in elf.get_section_by_name(".symtab").iter_symbols():
            if s["st_info"]["type"] != "STT_FUNC" or not isinstance(s["st_shndx"], int):
                continue
            sec = elf.get_section(s["st_shndx"])
            if sec.name != ".text":
                funcs.append((s["st_shndx"], s["st_value"], s.name))
    h = _parsed(headers, "programs")
    assert h.progs == [name for _, _, name in sorted(funcs)]
    assert "lib_global_func" not in h.progs
    assert "handle_optional" in h.progs  # '?' section: autoload off, still a program
    # two programs in SEC("xdp"): ordered by offset, not by name
    assert h.progs.index("xdp_second_in_section_b") < h.progs.index("xdp_first_in_section_a")


def test_rodata_data_is_not_data(headers: dict[str, Path]) -> None:
    """B2: bpftool's strstr maps `.rodata.data` to `data`; it must be `rodata_data`."""
    h = _parsed(headers, "rodata_data")
    assert h.map_lookups[h.maps.index("rodata_data")] == ".rodata.data"
    assert h.map_lookups[h.maps.index("data")] == ".data"
    assert [m.name for m in h.var_structs["rodata_data"]] == ["ro_data_var"]
    assert [m.name for m in h.var_structs["data"]] == ["plain_data"]


@pytest.mark.parametrize("stem", BAD)
def test_bad_objects_are_refused(stem: str, corpus_objects: dict[str, Path],
                                 tmp_path: Path) -> None:
    out = tmp_path / "out.subskel.h"
    result = run_cli("subskel", corpus_objects[stem], "-o", out)
    assert result.returncode == 2, result.stderr
    assert not out.exists()
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("bpfsubskel: error: "), result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("name", ["my-lib", "1lib", "", "class", "int"])
def test_bad_name_is_refused(name: str, corpus_objects: dict[str, Path],
                             tmp_path: Path) -> None:
    out = tmp_path / "out.subskel.h"
    result = run_cli("subskel", corpus_objects["empty"], "-o", out, "--name", name)
    assert result.returncode == 2, result.stderr
    assert not out.exists()


def test_default_names_from_file_names(corpus_objects: dict[str, Path], tmp_path: Path) -> None:
    obj = corpus_objects["empty"]
    digit = tmp_path / "1lib.bpf.o"
    digit.write_bytes(obj.read_bytes())
    result = run_cli("subskel", digit, "-o", tmp_path / "digit.h")
    assert result.returncode == 2
    assert not (tmp_path / "digit.h").exists()

    dashed = tmp_path / "my-lib.bpf.o"
    dashed.write_bytes(obj.read_bytes())
    run_cli("subskel", dashed, "-o", tmp_path / "dashed.h", check=True)
    h = st.parse_file(tmp_path / "dashed.h", "my_lib_bpf")  # bpftool's name for it
    source = tmp_path / "dashed.c"
    source.write_text(translation_unit([tmp_path / "dashed.h"], [("my_lib_bpf", h)]))
    result = compile_tu("gcc", source)
    assert result.returncode == 0, result.stderr


# The C type of each tricky global, as declared in its corpus source (qualifiers that
# bpftool strips, `const`/`volatile`, are left out): each pointee must be that type.
EXPECTED_TYPES: dict[str, dict[str, str]] = {
    "ptr_declarators": {
        "ptr_to_array": "int (*)[4]",
        "ptr_to_array2d": "int (*)[2][3]",
        "ptr_to_fn_ptr": "int (**)(int, long)",
        "ptr_to_typedef_fn_ptr": "cb_t *",
        "ptr_to_typedef_array": "arr4_t *",
        "ptr_to_array_of_fn_ptrs": "int (*(*)[2])(int, long)",
        "ptr_ptr_fn_ptr": "int (***)(int, long)",
        "fn_slot": "int (*)(int, long)",
        "backing2d": "int [2][3]",
    },
    "types": {
        "t_int": "int",
        "t_llong": "long long",
        "t_bool": "bool",
        "t_u64": "__u64",
        "t_typedef_scalar": "counter_t",
        "t_float": "float",
        "t_double": "double",
        "t_int128": "__int128",
        "t_enum": "enum color",
        "t_enum64": "enum big_values",
        "t_typedef_anon_struct": "point_t",
        "t_packed": "struct packed_rec",
        "t_arr": "int [4]",
        "t_arr2d": "int [2][3]",
        "t_arr_struct": "struct pair [2]",
        "t_typedef_arr": "arr4_t",
        "t_fn_ptr": "int (*)(int, long)",
        "t_fn_ptr_noarg": "int (*)(void)",
        "t_fn_ptr_arr": "int (*[2])(int, long)",
        "t_typedef_fn_ptr": "cb_t",
        "t_arr_of_typedef_fn": "cb_t [2]",
        "t_const_char_ptr": "char *",
        "t_volatile_ptr": "int *",
        "t_const_ptr_const": "struct pair *",
        "t_ptr_ptr": "int **",
        "t_str_arr": "char [8]",
    },
}


@pytest.mark.parametrize("compiler", ["gcc", "clang"])
@pytest.mark.parametrize("stem", sorted(EXPECTED_TYPES))
def test_member_types_match_the_source(stem: str, compiler: str, headers: dict[str, Path],
                                       tmp_path: Path) -> None:
    h = _parsed(headers, stem)
    where = {m.name: sec for sec, m in h.all_vars()}
    assert set(EXPECTED_TYPES[stem]) <= set(where)
    checks = "\n".join(
        f"_Static_assert(__builtin_types_compatible_p(__typeof__(*((struct {h.name} *)0)"
        f"->{where[var]}.{var}), {ctype}), \"type of {var}\");"
        for var, ctype in EXPECTED_TYPES[stem].items()
    )
    source = tmp_path / "types.c"
    source.write_text(f'#include "corpus_types.h"\n#include "{headers[stem]}"\n{checks}\n')
    result = run_cc(compiler, source, tmp_path / "types.o", "-std=gnu11", *WARN,
                    f"-I{CORPUS}", "-c")
    assert result.returncode == 0, result.stderr


# -- the harness runtime header and generated harnesses -------------------------------------

RUNTIME_MAIN = r"""
#define SUBSKEL_TEST_RUNTIME
#include "bpfsubskel_test.h"

struct mylib { int *counter; };

SUBSKEL_TEST(mylib, every_macro)
{
	int v = 1;
	unsigned long long u = 2;
	unsigned int retval = 0;

	ASSERT_TRUE(v, "true");
	ASSERT_FALSE(!v, "false");
	ASSERT_EQ(u, 2, "eq");
	ASSERT_NEQ(v, 0, "neq");
	ASSERT_LT(v, 2, "lt");
	ASSERT_LE(u, 2, "le");
	ASSERT_GT(v, 0, "gt");
	ASSERT_GE(v, 1, "ge");
	ASSERT_OK(0, "ok");
	ASSERT_ERR(-1, "err");
	ASSERT_OK_PTR(&v, "ok_ptr");
	ASSERT_NULL(NULL, "null");
	ASSERT_PTR_EQ(&v, &v, "ptr_eq");
	ASSERT_STREQ("a", "a", "streq");
	ASSERT_MEMEQ(&v, &v, sizeof(v), "memeq");
	if (subskel_test__start_subtest("sub"))
		subskel_test__end_subtest();
	if (subskel_load(obj) || subskel_attach(obj))
		return;
	subskel_run(obj, "prog", &v, sizeof(v), &retval);
	subskel_test_skip("compile test");
}

static void pair(void)
{
}

static void run_user(const struct subskel_user_test *test)
{
	test->run(NULL, NULL);
}

SUBSKEL_HARNESS_OF(mylib, pair, run_user);
"""

RUNTIME_USER = r"""
#include "bpfsubskel_test.h"

struct mylib { int *counter; };

SUBSKEL_TEST(mylib, user_file)
{
	ASSERT_OK_PTR(lib->counter, "counter");
	ASSERT_EQ(*lib->counter, 0, "counter");
	ASSERT_OK(subskel_load(obj), "load");
}
"""


@pytest.mark.parametrize("compiler", list(COMPILERS))
@pytest.mark.parametrize("unit", ["main", "user"])
def test_harness_runtime_header_compiles(compiler: str, unit: str, tmp_path: Path) -> None:
    """bpfsubskel_test.h, as the harness (with its runtime) and as a user test file includes
    it: no warning in C (ISO and GNU) or C++17 with gcc, clang, g++ or clang++."""
    templates = Path(__file__).resolve().parent.parent / "templates"
    source = tmp_path / f"{unit}.c"
    source.write_text(RUNTIME_MAIN if unit == "main" else RUNTIME_USER)
    result = compile_tu_in(compiler, source, templates)
    assert result.returncode == 0, f"{compiler}:\n{result.stderr}"


@pytest.mark.parametrize("compiler", list(COMPILERS))
def test_runtime_source_compiles(compiler: str, tmp_path: Path) -> None:
    """bpfsubskel_test_runtime.c, the runtime the front ends compile once per project:
    no warning with any of the compilers."""
    templates = Path(__file__).resolve().parent.parent / "templates"
    source = tmp_path / "runtime.c"  # compile_tu_in writes the object beside it
    source.write_bytes((templates / "bpfsubskel_test_runtime.c").read_bytes())
    result = compile_tu_in(compiler, source, templates)
    assert result.returncode == 0, f"{compiler}:\n{result.stderr}"


def test_harness_links_the_runtime_compiled_once(corpus_objects: dict[str, Path],
                                                 tmp_path: Path) -> None:
    """A harness compiled with -DSUBSKEL_TEST_RUNTIME_LINKED leaves the runtime out (it
    does not link alone) and runs linked with bpfsubskel_test_runtime.c compiled apart."""
    templates = Path(__file__).resolve().parent.parent / "templates"
    obj = corpus_objects["sections"]
    run_cli("subskel", obj, "-o", tmp_path / "lib.subskel.h", "--name", "lib", check=True)
    run_cli("skel", obj, "-o", tmp_path / "fin.skel.h", "--name", "fin", check=True)
    harness = tmp_path / "pair.test.c"
    run_cli("harness", obj, obj, "-o", harness, "--lib-name", "lib", "--final-name", "fin",
            "--no-runtime-header", check=True)
    flags = [*WARN, f"-I{tmp_path}", f"-I{templates}", f"-I{CORPUS}",
             "-include", "corpus_types.h"]
    linked = run_cc("gcc", harness, tmp_path / "pair.o", *flags,
                    "-DSUBSKEL_TEST_RUNTIME_LINKED", "-c")
    assert linked.returncode == 0, linked.stderr
    runtime = run_cc("gcc", templates / "bpfsubskel_test_runtime.c", tmp_path / "runtime.o",
                     *WARN, f"-I{templates}", "-c")
    assert runtime.returncode == 0, runtime.stderr
    alone = run_cc("gcc", tmp_path / "pair.o", tmp_path / "alone", "-lbpf")
    assert alone.returncode != 0 and "subskel_register_pair" in alone.stderr, alone.stderr
    program = tmp_path / "pair"
    both = subprocess.run(["gcc", str(tmp_path / "pair.o"), str(tmp_path / "runtime.o"),
                           "-o", str(program), "-lbpf"], capture_output=True, text=True)
    assert both.returncode == 0, both.stderr
    listed = subprocess.run([str(program), "-l"], capture_output=True, text=True)
    assert listed.returncode == 0 and listed.stdout.split() == ["pair"], listed


FINAL = [s for s in GOOD if s != "extern_unresolved"]


@pytest.mark.parametrize("compiler", list(COMPILERS))
@pytest.mark.parametrize("stem", FINAL)
def test_generated_harness_compiles(stem: str, compiler: str, corpus_objects: dict[str, Path],
                                    tmp_path: Path) -> None:
    """The harness of (object as library, same object as final) with its headers."""
    obj = corpus_objects[stem]
    run_cli("subskel", obj, "-o", tmp_path / "lib.subskel.h", "--name", "lib", check=True)
    run_cli("skel", obj, "-o", tmp_path / "fin.skel.h", "--name", "fin", check=True)
    harness = tmp_path / "lib__fin.test.c"
    run_cli("harness", obj, obj, "-o", harness, "--lib-name", "lib", "--final-name", "fin",
            check=True)
    # the headers name the corpus's types, as a user's would name theirs
    result = compile_tu_in(compiler, harness, tmp_path, "-include", "corpus_types.h")
    assert result.returncode == 0, f"{compiler} rejects the harness of {stem}:\n{result.stderr}"


def compile_tu_in(compiler: str, source: Path, include: Path, *extra: str
                  ) -> subprocess.CompletedProcess[str]:
    cmd = COMPILERS[compiler]
    return run_cc(cmd[0], source, source.with_suffix(".o"), *cmd[1:], *WARN,
                  f"-I{include}", f"-I{CORPUS}", *extra, "-c")
