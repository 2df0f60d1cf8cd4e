"""The import rule of docs/ARCHITECTURE.md: imports run down the layer list, never in a loop.

Every module of the package is parsed (not imported) and every ``import`` of an ``hwsim``
module, at module top or inside a function, is an edge. A module may import modules of a lower
layer, or of its own layer inside its own package; anything else is an upward import. The graph
has no cycle. Function-level imports are allowed only for the heavy optional dependencies
(onnx, dask, matplotlib, pandas), for the CLI's lazy sub-commands and for the package face's
lazy ``simulate``: each place is listed here, so a new one is a decision, not an accident.
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


#: Functions of the cost model allowed over the size rule, each with its reason.
LONG_COST_FUNCTIONS = {
    "plan_fusion": "being split into steps on its own branch (issue 11)",
}


def test_cost_modules_and_functions_stay_small():
    """Issue 11's size rule on ``hwsim/cost``: no module over 400 lines, no function over 60
    lines (the exceptions above name their reason)."""
    too_long = []
    for path in sorted((PACKAGE / "cost").glob("*.py")):
        source = path.read_text(encoding="utf-8")
        if source.count("\n") > 400:
            too_long.append(f"{path.name}: {source.count(chr(10))} lines")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) \
                    and node.name not in LONG_COST_FUNCTIONS:
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > 60:
                    too_long.append(f"{path.name}: {node.name} {length} lines")
    assert not too_long
