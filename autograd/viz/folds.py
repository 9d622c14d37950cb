"""Which scopes a picture folds: layers (innermost module calls), module calls at a depth,
composite functions, runs of repeated time steps, and what `expand=` opens.

A *layer* is an innermost module call: a scope with a module object (an nn.Module call)
none of whose inner scopes has one. Scopes opened by hand with `scope(name)` count as
module calls too, unless they sit inside one: there they are the module's own structure
(an LSTM's time steps). A *run* is a chain of consecutive sibling scopes with the same
name and module, each fed by the one before (an unrolled loop's time steps, "l0 step"
×32); it folds into one box until expanded, whatever `modules` says. viz knows modules
only through scopes and duck typing (extra_repr, named_modules): it never imports nn.
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass, field

from ..engine import Operator
from ..graph import Scope, scope_of

# modules="auto" draws one box per layer when there are more layers than AUTO_LAYERS (a
# CNN), or when clusters would take more than AUTO_NODES nodes (attention's own math) or
# a chain of more than AUTO_RANKS, and there are two layers or more; a small MLP keeps
# its operators in view. Layer boxes in a chain still longer than AUTO_RANKS fold into
# blocks (a transformer's encoder layers).
AUTO_LAYERS, AUTO_NODES, AUTO_RANKS = 6, 60, 20
BUNDLE_MIN = 3  # inputs of one shape that only one fold reads, drawn as one node
MODULE_OPTIONS = "'auto', 'cluster', 'collapse', a depth >= 0, or False (no module boxes)"


@dataclass(eq=False)
class Run:
    """Consecutive sibling scopes with one name and module, each fed by the one before
    (an unrolled loop's time steps), drawn as one box "×count" until expanded.
    `step_outputs` holds, per scope, the variables that leave it (filled by the scene)."""

    scopes: list
    step_outputs: list = field(default_factory=list)

    @property
    def first(self) -> Scope:
        return self.scopes[0]

    @property
    def parent(self) -> Scope | None:
        return self.scopes[0].parent

    @property
    def composite(self) -> bool:
        return False

    def __len__(self):
        return len(self.scopes)

    def __repr__(self):
        return f"<Run {self.first.name!r} ×{len(self.scopes)}>"


def module_scopes(graph) -> list:
    """Scopes that fold as modules: every scope that is not a composite function (a scope
    opened without a module object groups and folds the same way)."""
    return [s for s in graph.scopes if not s.composite]


def _is_module_call(scope_) -> bool:
    """An nn.Module call, or a hand-opened scope outside every module call."""
    if scope_.composite:
        return False
    return scope_.module is not None or all(s.module is None for s in scope_.chain())


def layer_scopes(graph) -> list:
    """The module calls "collapse" draws as boxes: innermost module calls, and a module
    call inside another whose own operators outnumber its inner calls' (attention: two
    Linear projections around its own matmul and softmax), with no layer inside it."""
    calls = [s for s in graph.scopes if _is_module_call(s)]
    own, below = Counter(), Counter()
    for node in graph.operators:
        chain = [s for s in scope_of(node).chain() if _is_module_call(s)] \
            if scope_of(node) is not None else []
        if chain:
            own[id(chain[-1])] += 1
            below.update(id(s) for s in chain[:-1])
    outer = {id(a) for s in calls for a in s.chain()[:-1]}
    layers, taken = [], set()
    for s in calls:  # outer first
        if any(id(a) in taken for a in s.chain()[:-1]):
            continue
        nested = any(_is_module_call(a) for a in s.chain()[:-1])
        if id(s) not in outer or (nested and own[id(s)] > below[id(s)]):
            layers.append(s)
            taken.add(id(s))
    return layers


def folded_scopes(graph, modules, opened=frozenset()) -> set:
    """ids of the scopes drawn as one node: composite functions, and modules as `modules`
    asks: "cluster" or False (none), "collapse" (every layer: innermost module call), or
    an int depth (every module call at that nesting depth, 0 = the outermost); scopes in
    `opened` (ids, or ALL) never fold."""
    check_modules(modules)
    folded = {id(s) for s in graph.scopes if s.composite}
    if modules == "collapse":
        folded |= {id(s) for s in layer_scopes(graph)}
    elif isinstance(modules, int) and not isinstance(modules, bool):
        folded |= {id(s) for s in module_scopes(graph) if module_depth(s) == modules}
    return set() if opened is ALL else folded - set(opened)


def module_depth(scope_: Scope) -> int:
    return sum(1 for s in scope_.chain()[:-1] if not s.composite)


def find_runs(graph) -> list:
    """Every Run: consecutive sibling scopes (in the order they were opened) with the
    same name and module, where each one uses a value made in the one before it."""
    first, inside = {}, {}
    for node in graph.operators:
        chain = scope_of(node).chain() if scope_of(node) is not None else []
        inside[node] = {id(s) for s in chain}
        for s in chain:
            first[id(s)] = min(first.get(id(s), node.sequence), node.sequence)
    members, children = {}, {}
    for node, scopes in inside.items():
        for key in scopes:
            members.setdefault(key, []).append(node)
    for s in graph.scopes:
        children.setdefault(id(s.parent) if s.parent is not None else None, []).append(s)

    def feeds(before, after) -> bool:
        for node in members[id(after)]:
            for variable in graph.inputs_of(node):
                producer = graph.producer_of(variable)
                if producer is not None and id(before) in inside.get(producer, ()):
                    return True
        return False

    runs = []
    for siblings in children.values():
        siblings.sort(key=lambda s: first[id(s)])
        run = [siblings[0]]
        for before, after in itertools.pairwise(siblings):
            same = (not before.composite and not after.composite and before.name == after.name
                    and before.module is after.module)
            if same and feeds(before, after):
                run.append(after)
                continue
            if len(run) > 1:
                runs.append(Run(run))
            run = [after]
        if len(run) > 1:
            runs.append(Run(run))
    return runs


class _All:
    """Every scope: what expand=True opens."""

    def __contains__(self, item):
        return True

    def __repr__(self):
        return "ALL"


ALL = _All()


def module_path(graph, scope_) -> str:
    """A module call's path in the outermost module ("features.0"), or ""."""
    label, suffix = graph.scope_label(scope_), ": " + scope_.name
    return label[:-len(suffix)] if label != scope_.name and label.endswith(suffix) else ""


def scope_names(graph, scope_) -> set:
    """The names expand= can call a scope by: its module path, its label, its name
    (a module's type name, or a hand-opened scope's name) and its module's type name."""
    names = {scope_.name, graph.scope_label(scope_)}
    path = module_path(graph, scope_)
    if path:
        names.add(path)
    if scope_.module is not None:
        names.add(type(scope_.module).__name__)
    return names


def opened_scopes(graph, expand) -> tuple:
    """What `expand` opens: (ids of scopes, names of fused operators drawn as their
    primitives). True: ALL and True; False: nothing; names: every scope a name matches (by
    module path, type or scope name) and the scopes around it, and the fused operators of
    that name (softmax, cross_entropy)."""
    if expand is True:
        return ALL, True
    if expand is False or expand is None:
        return set(), frozenset()
    wanted = [expand] if isinstance(expand, str) else expand
    try:
        wanted = list(wanted)
    except TypeError:
        wanted = None
    if wanted is None or not all(isinstance(n, str) for n in wanted):
        raise TypeError("viz: expand must be True, False, a name or a list of names (module "
                        f"paths such as 'features.0', types such as 'Conv2d', scope names "
                        f"such as 'l0 step', fused operators such as 'softmax'), got "
                        f"{expand!r}")
    opened, matched = set(), set()
    for s in graph.scopes:
        hits = scope_names(graph, s).intersection(wanted)
        if hits:
            matched |= hits
            opened |= {id(a) for a in s.chain()}
    fused = fused_operators(graph).intersection(wanted)
    missing = [n for n in wanted if n not in matched | fused]
    if missing:
        raise ValueError(f"viz: expand={missing[0]!r} names no module, scope or fused operator "
                         f"in this graph; its names are: {_known_names(graph)}")
    return opened, frozenset(fused)


def fused_operators(graph) -> set:
    """The names of the graph's operators that can draw themselves as primitives."""
    return {node.op.name for node in graph.operators if node.op.expand is not Operator.expand}


def _known_names(graph) -> str:
    kinds = [n for s in graph.scopes for n in sorted(scope_names(graph, s))
             if not module_path(graph, s) or n in (s.name, type(s.module).__name__)]
    paths = [module_path(graph, s) for s in graph.scopes if module_path(graph, s)]
    known = list(dict.fromkeys(kinds + sorted(fused_operators(graph)) + paths))
    shown = ", ".join(repr(n) for n in known[:20]) + (", ..." if len(known) > 20 else "")
    return shown or "none (the graph has no scopes or fused operators)"


def blocks_of(folds) -> list:
    """The module calls that directly hold the folded layers (a transformer's encoder
    layers), leaving out the model itself (a call inside no other)."""
    blocks = {}
    for key in folds.values():
        if key.composite:
            continue
        chain = (key.first if isinstance(key, Run) else key).chain()[:-1]
        calls = [s for s in chain if _is_module_call(s)]
        if len(calls) >= 2:
            blocks[id(calls[-1])] = calls[-1]
    return list(blocks.values())


def fold_plan(graph, modules, opened, runs) -> dict:
    """{id(scope): the Scope or Run it is drawn inside of}: `modules`' folds (less the
    opened scopes) and the runs (a run wins over its own scopes). A run that expand=
    opened, under "collapse", draws each of its steps as one box: the unrolled loop."""
    chosen = folded_scopes(graph, modules, opened)
    folds = {id(s): s for s in graph.scopes if id(s) in chosen}
    collapse = modules == "collapse" and opened is not ALL
    for run in runs:
        if not is_open(run, opened):
            folds.update((id(s), run) for s in run.scopes)
        elif collapse:
            folds.update((id(s), s) for s in run.scopes)
    return folds


def is_open(run, opened) -> bool:
    return any(id(s) in opened for s in run.scopes)


def check_modules(modules) -> None:
    depth = isinstance(modules, int) and not isinstance(modules, bool) and modules >= 0
    named = isinstance(modules, str) and modules in ("auto", "cluster", "collapse")
    if not (depth or named or modules is False):
        raise ValueError(f"viz: modules must be {MODULE_OPTIONS}, got {modules!r}")


def layer_count(graph, opened, runs) -> int:
    """How many boxes "collapse" draws: layers, a run of repeated layers counting once."""
    in_run = {id(s): run for run in runs if not is_open(run, opened) for s in run.scopes}
    boxes = set()
    for s in layer_scopes(graph):
        if id(s) in opened:
            continue
        outer = next((in_run[id(a)] for a in s.chain() if id(a) in in_run), s)
        boxes.add(id(outer))
    return len(boxes)
