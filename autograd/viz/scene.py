"""What a picture shows: which nodes are drawn, which are folded into a module box, a
composite node or a summary, which cluster each sits in, and the edges between them.

The scene is computed from a `Graph` alone, before any styling, so the forward graph, the
gradient flow and every backward step of one output share one layout plan.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ..graph import Graph, Scope, scope_of

DEFAULT_MAX_NODES = 400  # above this, modules fold and then the far end is summarised


@dataclass
class Item:
    """One drawn node. `kind` is "variable", "operator", "module" (a folded module call),
    "composite" (a folded composite function) or "summary"; `home` is the Scope whose
    cluster it sits in (None: top level); `members` the operator nodes a fold hides."""

    id: str
    kind: str
    obj: Any
    home: Scope | None = None
    members: list = field(default_factory=list)
    hidden: list = field(default_factory=list)  # variables folded in with the members


@dataclass
class Edge:
    """A drawn edge in data-flow direction; `variables` are the graph variables whose
    gradients travel along it (one for an edge of the real graph, more after a fold)."""

    source: str
    target: str
    variables: list


@dataclass
class Scene:
    graph: Graph
    items: dict  # id -> Item, in drawing order
    edges: list
    rep: dict  # id(variable) or engine Node -> the Item drawing it
    folded: set  # id(Scope) of every scope drawn as one node
    expand: bool = False
    notes: list = field(default_factory=list)

    def __len__(self):
        return len(self.items)

    def clusters(self) -> list:
        """The scopes drawn as clusters (ancestors of an item's home), outer first."""
        wanted = set()
        for item in self.items.values():
            scope_ = item.home
            while scope_ is not None:
                wanted.add(id(scope_))
                scope_ = scope_.parent
        return [s for s in self.graph.scopes if id(s) in wanted]

    def item_of(self, thing) -> Item | None:
        """The item drawing a graph variable or operator node (a fold if it is hidden)."""
        key = thing if _is_node(thing) else id(thing)
        return self.rep.get(key)


def _is_node(thing) -> bool:
    return hasattr(thing, "op") and hasattr(thing, "inputs")


# --------------------------------------------------------------------------------------
# which scopes fold


def module_scopes(graph) -> list:
    """Scopes that fold as modules: every scope that is not a composite function (a scope
    opened without a module object groups and folds the same way)."""
    return [s for s in graph.scopes if not s.composite]


def folded_scopes(graph, modules, expand) -> set:
    """Scopes drawn as one node: composite functions unless expand=True, and modules as
    `modules` asks: "cluster" (none), "collapse" (every innermost module), or an int depth
    (every module call at that nesting depth, 0 = the outermost)."""
    folded = set()
    if not expand:
        folded |= {id(s) for s in graph.scopes if s.composite}
    if modules == "cluster" or modules is None or modules is False:
        return folded
    scopes = module_scopes(graph)
    if modules == "collapse" or modules is True:
        parents = {id(s.parent) for s in scopes if s.parent is not None}
        return folded | {id(s) for s in scopes if id(s) not in parents}
    if isinstance(modules, int) and not isinstance(modules, bool) and modules >= 0:
        return folded | {id(s) for s in scopes if _module_depth(s) == modules}
    raise ValueError(
        f"viz: modules must be 'cluster', 'collapse' or a depth >= 0, got {modules!r}"
    )


def _module_depth(scope_: Scope) -> int:
    return sum(1 for s in scope_.chain()[:-1] if not s.composite)


# --------------------------------------------------------------------------------------
# assembling a scene


def _outermost_folded(scope_, folded):
    for item in scope_.chain() if scope_ is not None else ():
        if id(item) in folded:
            return item
    return None


def _common_scope(scopes):
    """The innermost scope enclosing every scope in the list (None if they share none)."""
    chains = [s.chain() if s is not None else [] for s in scopes]
    if not chains:
        return None
    common = None
    for level in zip(*chains, strict=False):  # up to the shortest chain
        if all(s is level[0] for s in level):
            common = level[0]
        else:
            break
    return common


class _Assembler:
    def __init__(self, graph, folded, expand):
        self.graph = graph
        self.folded = folded
        self.expand = expand
        self.scope_index = {id(s): i for i, s in enumerate(graph.scopes)}
        self.consumers = {}
        for node in graph.operators:
            for variable in graph.inputs_of(node):
                self.consumers.setdefault(id(variable), []).append(node)
        self.items, self.rep, self.edges = {}, {}, []
        self.output_ids = {id(v) for v in graph.outputs}

    def scene(self) -> Scene:
        for node in self.graph.operators:
            self._place_operator(node)
        for i, variable in enumerate(self.graph.variables):
            self._place_variable(i, variable)
        self._connect()
        ordered = self._drawing_order()
        return Scene(self.graph, ordered, self.edges, self.rep, self.folded, self.expand)

    def _fold_item(self, scope_) -> Item:
        item_id = f"m{self.scope_index[id(scope_)]}"
        if item_id not in self.items:
            kind = "composite" if scope_.composite else "module"
            self.items[item_id] = Item(item_id, kind, scope_, scope_.parent)
        return self.items[item_id]

    def _place_operator(self, node):
        fold = _outermost_folded(scope_of(node), self.folded)
        if fold is not None:
            item = self._fold_item(fold)
            item.members.append(node)
        else:
            item_id = f"op{len(self.rep)}"
            item = Item(item_id, "operator", node, scope_of(node))
            self.items[item_id] = item
        self.rep[node] = item

    def _home(self, variable):
        producer = self.graph.producer_of(variable)
        if producer is not None:
            return scope_of(producer)
        if self.graph.kind_of(variable) == "input":
            return None
        return _common_scope([scope_of(n) for n in self.consumers.get(id(variable), [])])

    def _place_variable(self, index, variable):
        home = self._home(variable)
        fold = _outermost_folded(home, self.folded)
        if fold is not None:
            fold_item = self._fold_item(fold)
            users = self.consumers.get(id(variable), [])
            inside = all(self.rep[n] is fold_item for n in users)
            if inside and id(variable) not in self.output_ids:
                fold_item.hidden.append(variable)
                self.rep[id(variable)] = fold_item
                return
            home = fold.parent
        item_id = f"v{index}"
        item = Item(item_id, "variable", variable, home)
        self.items[item_id] = item
        self.rep[id(variable)] = item

    def _connect(self):
        merged = {}
        for node in self.graph.operators:
            target = self.rep[node]
            for variable in self.graph.inputs_of(node):
                self._edge(self.rep[id(variable)], target, variable, merged)
            output = self.graph.output_of(node)
            self._edge(target, self.rep[id(output)], output, merged)

    def _edge(self, source, target, variable, merged):
        if source is target:
            return
        plain = source.kind in ("variable", "operator") and target.kind in ("variable",
                                                                              "operator")
        if plain:
            self.edges.append(Edge(source.id, target.id, [variable]))
            return
        key = (source.id, target.id)
        if key in merged:
            if all(v is not variable for v in merged[key].variables):
                merged[key].variables.append(variable)
            return
        merged[key] = Edge(source.id, target.id, [variable])
        self.edges.append(merged[key])

    def _drawing_order(self) -> dict:
        """Items in forward order (each operator after its inputs): dot keeps declaration
        order within a rank, so the same graph always gets the same layout."""
        order = {}
        for node in self.graph.operators:
            for item in [self.rep[id(v)] for v in self.graph.inputs_of(node)] + [self.rep[node]]:
                order.setdefault(item.id, item)
            output = self.rep[id(self.graph.output_of(node))]
            order.setdefault(output.id, output)
        for item in self.items.values():
            order.setdefault(item.id, item)
        return order


def assemble(graph, folded, expand=False) -> Scene:
    return _Assembler(graph, folded, expand).scene()


def build_scene(graph, modules="cluster", expand=False, max_nodes=DEFAULT_MAX_NODES) -> Scene:
    """The scene for `graph`: folds as asked, then, while it has more than `max_nodes`
    nodes, folds module calls from the deepest level up, and finally summarises the
    nodes farthest from the outputs in one node (the notes say what was collapsed)."""
    if max_nodes is not None and (not isinstance(max_nodes, int) or max_nodes < 2):
        raise ValueError(f"viz: max_nodes must be an int >= 2 or None, got {max_nodes!r}")
    folded = folded_scopes(graph, modules, expand)
    scene = assemble(graph, folded, expand)
    if max_nodes is None or len(scene) <= max_nodes:
        return scene
    total = len(scene)
    scopes = module_scopes(graph)
    depths = sorted({_module_depth(s) for s in scopes}, reverse=True)
    for depth in depths:
        level = [s for s in scopes if _module_depth(s) == depth]
        if len(level) < 2:  # one box for the whole model says less than a summary does
            break
        folded = folded | {id(s) for s in level}
        scene = assemble(graph, folded, expand)
        if len(scene) <= max_nodes:
            break
    actions = []
    count = sum(1 for s in scopes if id(s) in folded and not s.composite)
    if count:
        actions.append(f"{count} module calls are drawn as boxes")
    if len(scene) > max_nodes:
        scene = _summarise(scene, max_nodes)
        summary = scene.items["more"]
        actions.append(f"the {len(summary.members)} operators and {len(summary.hidden)} "
                       "variables nearest the inputs are summarised in one node")
    scene.notes.append(f"{total} nodes > max_nodes={max_nodes}: " + "; ".join(actions)
                       + " (max_nodes=None draws everything)")
    return scene


# --------------------------------------------------------------------------------------
# summarising the far end of a big graph


def _summarise(scene, max_nodes) -> Scene:
    graph = scene.graph
    keep = {}
    for variable in graph.outputs:
        item = scene.item_of(variable)
        keep[item.id] = item
    for node in reversed(graph.operators):  # from the outputs backwards
        wanted = [scene.rep[node], scene.item_of(graph.output_of(node))]
        wanted += [scene.item_of(v) for v in graph.inputs_of(node)
                   if graph.producer_of(v) is None]
        new = {item.id: item for item in wanted if item.id not in keep}
        if len(keep) + len(new) > max_nodes - 1:
            break
        keep.update(new)
    summary = Item("more", "summary", None, None)
    for item in scene.items.values():
        if item.id not in keep:
            if item.kind == "variable":
                summary.hidden.append(item.obj)
            else:
                summary.members.extend(item.members or [item.obj])
            summary.hidden.extend(item.hidden)
    rep = {key: (item if item.id in keep else summary) for key, item in scene.rep.items()}
    edges, merged = [], {}
    for edge in scene.edges:
        source = edge.source if edge.source in keep else "more"
        target = edge.target if edge.target in keep else "more"
        if source == target:
            continue
        if "more" not in (source, target):
            edges.append(edge)
            continue
        key = (source, target)
        if key not in merged:
            merged[key] = Edge(source, target, [])
            edges.append(merged[key])
        merged[key].variables.extend(edge.variables)
    items = {summary.id: summary}
    items.update((i, item) for i, item in scene.items.items() if i in keep)
    result = Scene(graph, items, edges, rep, scene.folded, scene.expand, list(scene.notes))
    summary.obj = Counter(node.op.name for node in summary.members)
    return result
