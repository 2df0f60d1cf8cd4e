"""The import rule of docs/ARCHITECTURE.md: imports run down the layer list, never in a loop.

Every module of the package is parsed (not imported) and every ``import`` of an ``hwsim``
module, at module top or inside a function, is an edge. A module may import modules of a lower
layer, or of its own layer inside its own package; anything else is an upward import. The graph
has no cycle. Function-level imports are allowed only for the heavy optional dependencies
(onnx, dask, matplotlib, pandas), for the CLI's lazy sub-commands, for the package face's
lazy names and for the pipeline's lazy event engine: each place is listed here, so a new one
is a decision, not an accident.

Sizes: no module over 400 lines and no function over 60, except the entries of
``LONG_MODULES`` and ``LONG_FUNCTIONS``, each with its reason (an entry that is no longer
needed fails too, so the lists only shrink).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "hwsim"
DOC = Path(__file__).resolve().parents[1] / "docs" / "ARCHITECTURE.md"

#: Lowest first. A module may import from a layer before its own, or from its own layer when
#: both modules are in the same package. docs/ARCHITECTURE.md shows this list (checked below).
LAYERS: tuple[tuple[str, ...], ...] = (
    ("hwsim._version", "hwsim.errors"),
    ("hwsim.workload", "hwsim.hardware", "hwsim.bundled"),
    ("hwsim.config",),
    ("hwsim.importers",),
    ("hwsim.inputs",),
    ("hwsim.dataflow",),
    ("hwsim.cost",),
    ("hwsim.sim",),
    ("hwsim.result",),
    ("hwsim.pipeline",),
    ("hwsim.sweep",),
    ("hwsim.report",),
    ("hwsim",),
    ("hwsim.cli",),
    ("hwsim.__main__",),
)

#: Packages whose modules may import hwsim modules inside functions (lazy on purpose), and why.
LAZY_HWSIM_IMPORTS = {
    "hwsim.cli": "each sub-command imports only its own modules (start-up time)",
    "hwsim": "the package face loads the pipeline (and SimPy) only when simulate is used",
    "hwsim.inputs": "the ONNX importer, behind the optional onnx dependency",
    "hwsim.pipeline": "the event engine, loaded only when engine='event' runs (start-up time)",
}
HEAVY = {"onnx", "dask", "distributed", "matplotlib", "pandas", "scalesim",
         "simpy"}  # SimPy: only the event engine needs it (and its import reads metadata)


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def package_of(name: str, is_package: bool) -> str:
    return name if is_package else name.rpartition(".")[0]


def resolve(node: ast.ImportFrom, name: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = package_of(name, is_package).split(".")
    base = base[: len(base) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def module_level(tree: ast.Module) -> set[int]:
    """Statements run at import: the module's body and what sits in its top-level ``if``
    (``if TYPE_CHECKING:``) and ``try`` blocks (an optional platform module)."""
    top: set[int] = set()
    todo: list[ast.stmt] = list(tree.body)
    while todo:
        n = todo.pop()
        top.add(id(n))
        if isinstance(n, ast.If):
            todo += n.body + n.orelse
        elif isinstance(n, ast.Try):
            todo += n.body + n.orelse + n.finalbody + [s for h in n.handlers for s in h.body]
    return top


def imports(name: str, path: Path, known: set[str]) -> list[tuple[str, int, bool]]:
    """(imported hwsim module, line, at module top) for every import of an hwsim module; a
    ``from package import module`` counts as importing the module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = module_level(tree)
    is_package = path.name == "__init__.py"
    out = []
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            mod = resolve(node, name, is_package)
            targets = [f"{mod}.{a.name}" if f"{mod}.{a.name}" in known else mod for a in node.names]
        for t in targets:
            if t == "hwsim" or t.startswith("hwsim."):
                while t not in known and "." in t:
                    t = t.rpartition(".")[0]
                out.append((t, node.lineno, id(node) in top))
    return out


def heavy_imports_in_functions(path: Path) -> list[tuple[str, int]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = module_level(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)) and id(node) not in top:
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            found += [(n, node.lineno) for n in names]
    return found


def layer_of(name: str) -> int:
    best, rank = -1, None
    for i, layer in enumerate(LAYERS):
        for prefix in layer:
            if (name == prefix or name.startswith(prefix + ".")) and len(prefix) > best:
                best, rank = len(prefix), i
    assert rank is not None, f"{name} is in no layer of LAYERS: add it (and to docs/ARCHITECTURE.md)"
    return rank


def top_package(name: str) -> str:
    parts = name.split(".")
    return ".".join(parts[:2]) if len(parts) > 1 else name


MODULES = modules()
GRAPH = {m: imports(m, p, set(MODULES)) for m, p in MODULES.items()}


def test_every_module_has_a_layer():
    for name in MODULES:
        layer_of(name)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_run_down_the_layers(name):
    mine = layer_of(name)
    for target, line, _top in GRAPH[name]:
        theirs = layer_of(target)
        where = f"{MODULES[name].relative_to(PACKAGE.parent)}:{line} imports {target}"
        assert theirs <= mine, f"upward import: {where}"
        if theirs == mine and target != name and name != "hwsim":
            assert top_package(target) == top_package(name), f"sideways import across packages: {where}"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_hwsim_imports_are_at_module_top_unless_lazy_on_purpose(name):
    lazy = [(t, line) for t, line, top in GRAPH[name] if not top]
    if top_package(name) in LAZY_HWSIM_IMPORTS or name in LAZY_HWSIM_IMPORTS:
        return
    assert not lazy, f"{name}: function-level imports of {lazy} (move them to the module top)"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_function_level_imports_are_only_heavy_optional_dependencies(name):
    for mod, line in heavy_imports_in_functions(MODULES[name]):
        if mod.startswith("hwsim"):
            continue  # checked above
        assert mod.split(".")[0] in HEAVY, (f"{name}:{line}: function-level import of {mod}; only "
                                            f"{sorted(HEAVY)} may be imported lazily")


def test_no_import_cycle():
    edges = {m: {t for t, _l, _top in GRAPH[m] if t != m} for m in MODULES}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for t in sorted(edges[m]):
            if state.get(t) == 1:
                cycle = stack[stack.index(t):] + [t]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if t not in state:
                visit(t)
        stack.pop()
        state[m] = 2

    for m in sorted(edges):
        if m not in state:
            visit(m)


def test_the_document_shows_the_same_layers():
    text = DOC.read_text(encoding="utf-8")
    rows = re.findall(r"^\| *(\d+) *\|([^|]*)\|", text, flags=re.M)
    shown = tuple(tuple(re.findall(r"`([\w.]+)`", cell)) for _n, cell in rows)
    assert shown == LAYERS, "docs/ARCHITECTURE.md's layer table differs from tests/test_architecture.py"


def test_the_checker_finds_an_upward_import_and_a_cycle(tmp_path):
    """The rule can fail: a cost module importing the pipeline is upward, and two modules
    importing each other are a cycle."""
    pkg = tmp_path / "hwsim" / "cost"
    pkg.mkdir(parents=True)
    (tmp_path / "hwsim" / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from hwsim.pipeline import simulate\nfrom hwsim.cost import b\n")
    (pkg / "b.py").write_text("def f():\n    from hwsim.cost.a import x\n")
    known = {"hwsim", "hwsim.cost", "hwsim.cost.a", "hwsim.cost.b", "hwsim.pipeline"}
    found_a = imports("hwsim.cost.a", pkg / "a.py", known)
    found_b = imports("hwsim.cost.b", pkg / "b.py", known)
    assert [(t, top) for t, _l, top in found_a] == [("hwsim.pipeline", True), ("hwsim.cost.b", True)]
    assert [(t, top) for t, _l, top in found_b] == [("hwsim.cost.a", False)]
    assert layer_of("hwsim.pipeline") > layer_of("hwsim.cost.a")


# --- sizes: a newcomer reads a module, and a function, in one sitting ---------------------------

#: The most lines of a module (``docs/ARCHITECTURE.md``, "Sizes").
MAX_MODULE_LINES = 400
#: The most lines of a function or method, its signature, docstring and body together.
MAX_FUNCTION_LINES = 60

#: Modules allowed over :data:`MAX_MODULE_LINES` (path under the repository), each with why.
LONG_MODULES = {
    "hwsim/sim/engine.py": "the event engine: one SimPy model whose processes share its state "
                           "(one cohesive thing, named so by issue 11)",
}
#: Functions allowed over :data:`MAX_FUNCTION_LINES` ((path, qualified name)), each with why.
LONG_FUNCTIONS = {
    ("hwsim/dataflow/os.py", "OutputStationary.pixel_mapping"): "the pixel mapping's formula "
                                                                "and access table read as one "
                                                                "(the reason is in its docstring)",
}


def function_lengths(path: Path) -> list[tuple[str, int, int]]:
    """(qualified name, first line, lines) of every function and method of a module, nested
    ones too (``Class.method``, ``outer.inner``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[str, int, int]] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = prefix + child.name
                if not isinstance(child, ast.ClassDef):
                    end = child.end_lineno or child.lineno
                    found.append((name, child.lineno, end - child.lineno + 1))
                visit(child, name + ".")
            else:
                visit(child, prefix)

    visit(tree, "")
    return found


def long_modules(paths: list[Path], root: Path = PACKAGE.parent) -> dict[str, int]:
    """Modules over :data:`MAX_MODULE_LINES` lines, by path under ``root``."""
    lines = {p.relative_to(root).as_posix(): len(p.read_text(encoding="utf-8").splitlines())
             for p in paths}
    return {p: n for p, n in lines.items() if n > MAX_MODULE_LINES}


def long_functions(paths: list[Path], root: Path = PACKAGE.parent) -> dict[tuple[str, str], int]:
    """Functions over :data:`MAX_FUNCTION_LINES` lines, by (path under ``root``, name)."""
    return {(p.relative_to(root).as_posix(), name): n for p in paths
            for name, _line, n in function_lengths(p) if n > MAX_FUNCTION_LINES}


PATHS = sorted(MODULES.values())


def test_no_module_over_the_limit_unless_listed():
    found = long_modules(PATHS)
    unlisted = {p: n for p, n in found.items() if p not in LONG_MODULES}
    assert not unlisted, (f"modules over {MAX_MODULE_LINES} lines: {unlisted}; split them by "
                          "concern (or, for one cohesive thing, add them to LONG_MODULES with "
                          "the reason)")


def test_no_function_over_the_limit_unless_listed():
    found = long_functions(PATHS)
    unlisted = {f"{p}: {name}": n for (p, name), n in found.items() if (p, name) not in LONG_FUNCTIONS}
    assert not unlisted, (f"functions over {MAX_FUNCTION_LINES} lines: {unlisted}; split them "
                          "into named steps (or add them to LONG_FUNCTIONS with the reason, "
                          "and give it in the docstring)")


def test_every_allowed_size_is_still_needed_and_has_a_reason():
    """The lists only shrink: an entry whose module or function is now short (or gone) is
    removed, so the list says what is still too long."""
    modules_now, functions_now = long_modules(PATHS), long_functions(PATHS)
    stale = [p for p in LONG_MODULES if p not in modules_now]
    stale += [f"{p}: {name}" for p, name in LONG_FUNCTIONS if (p, name) not in functions_now]
    assert not stale, f"no longer over the limit (remove from the allow-lists): {stale}"
    assert all(len(why.split()) >= 5 for why in [*LONG_MODULES.values(), *LONG_FUNCTIONS.values()])


def test_the_size_checker_counts_methods_nested_functions_and_lines(tmp_path):
    """The size rule can fail: a 61-line method and a 61-line nested function are found by
    their qualified names, a 60-line function is not; a 401-line module is too long."""
    body = "    x = 1\n" * 59   # def line + 59 body lines = 60 lines
    source = ("class A:\n    def m(self):\n" + "        x = 1\n" * 60      # 61 lines
              + "def f():\n" + body                                         # 60 lines
              + "def outer():\n    def inner():\n" + "        x = 1\n" * 60  # inner: 61
              + "    return inner\n")
    path = tmp_path / "m.py"
    path.write_text(source)
    lengths = {name: n for name, _line, n in function_lengths(path)}
    assert lengths["A.m"] == 61 and lengths["f"] == 60 and lengths["outer.inner"] == 61
    assert lengths["outer"] == 63   # its def, inner's 61 lines, its return
    assert long_functions([path], tmp_path) == {("m.py", "A.m"): 61, ("m.py", "outer"): 63,
                                                ("m.py", "outer.inner"): 61}
    (tmp_path / "short.py").write_text("x = 1\n" * 400)
    (tmp_path / "long.py").write_text("x = 1\n" * 401)
    assert long_modules([tmp_path / "short.py", tmp_path / "long.py"], tmp_path) == {"long.py": 401}
