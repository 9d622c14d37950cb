"""autograd's modules form layers (docs/design.md, "The graph core, consolidated"): each
imports only from the layers below it, nothing imports in a function to dodge a
circle, and so there is no import circle."""

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2] / "autograd"

LAYERS = [
    {"grad_mode", "scopes", "variable", "environment"},
    {"engine"},
    {"ops", "ops.arithmetic", "ops.elementwise", "ops.linalg", "ops.reductions", "ops.shape",
     "ops.scans",  # surface-math (issue 15)
     "ops.indexing",  # surface-shape (issue 15)
     "ops.conv",  # conv (issue 16)
     "ops.normalization", "ops.sparse",  # norm (issue 16)
     "ops.recurrent"},  # rnn (issue 16)
    {"anomaly", "versions", "hooks", "collector", "xp"},
    {"backprop"},
    {"scalar", "tensor"},
    {"functional", "creation", "graph"},
    {"gradcheck", "transforms"},
    {"checks"},
    {"testing"},  # check_exercise grades with check_graph and draws with viz
    # export (issue 19): reads traced graphs, so it sits above everything that records them
    {"export.builder"}, {"export.translations"}, {"export.writer"}, {"export"},
]
LAYERS[2] |= {"ops.attention"}  # attn (issue 16)
LAYER_OF = {name: i for i, names in enumerate(LAYERS) for name in names}


def _modules():
    for path in sorted(ROOT.rglob("*.py")):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        if name.startswith("viz") or name == "__init__":
            continue  # pictures (the top layer), and the package gathering the public API
        yield name.removesuffix(".__init__"), path


def _imports(name, path):
    """(module imported, line, inside a function?) for each import of an autograd module."""
    package = name.split(".")[:-1] if path.name != "__init__.py" else name.split(".")
    tree = ast.parse(path.read_text())
    functions = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef,
                                                                 ast.AsyncFunctionDef))]
    nested = {id(node) for f in functions for node in ast.walk(f) if node is not f}
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom) or not node.level:
            continue
        base = package[: len(package) - node.level + 1]
        target = ".".join(base + ([node.module] if node.module else []))
        for alias in node.names:
            full = f"{target}.{alias.name}".strip(".")
            module = full if full in LAYER_OF or full == "viz" else target
            yield module, node.lineno, id(node) in nested


@pytest.mark.parametrize("name, path", list(_modules()), ids=lambda v: str(v))
def test_each_module_imports_only_from_layers_below_and_never_in_a_function(name, path):
    assert name in LAYER_OF, f"autograd/{path.name}: give it a layer in this test and design.md"
    for module, line, in_function in _imports(name, path):
        assert not in_function, f"{path.name}:{line} imports {module} inside a function"
        if module in LAYER_OF and not module.startswith(name.split(".")[0] + "."):
            assert LAYER_OF[module] < LAYER_OF[name] or (
                LAYER_OF[module] == LAYER_OF[name] and module.startswith("ops")), (
                f"{path.name}:{line}: {name} (layer {LAYER_OF[name]}) imports {module} "
                f"(layer {LAYER_OF[module]})")
