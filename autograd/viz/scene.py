"""What a picture shows: which nodes are drawn, which are folded into a layer box, a
repeat box, a composite node or a summary, which cluster each sits in, and the edges.

The scene is computed from a `Graph` alone, before any styling, so the forward graph, the
gradient flow and every backward step of one output share one layout plan. Which scopes
fold is autograd/viz/folds.py's; "auto" decides here, from the scenes it would draw.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ..graph import Graph, Scope, dtype_of, scope_of, shape_of
from .folds import (
    AUTO_LAYERS,
    AUTO_NODES,
    AUTO_RANKS,
    BUNDLE_MIN,
    Run,
    blocks_of,
    check_modules,
    find_runs,
    fold_plan,
    layer_count,
    module_depth,
    module_path,
    module_scopes,
    opened_scopes,
)

DEFAULT_MAX_NODES = 400  # above this, modules fold and then the far end is summarised


@dataclass
class Item:
    """One drawn node. `kind` is "variable", "operator", "module" (a folded module call),
    "repeat" (a folded Run), "inputs" (a run's per-step inputs, drawn as one),
    "composite" (a folded composite function) or "summary";
    `home` is the Scope whose cluster it sits in (None: top level); `members` the
    operator nodes a fold hides, `hidden` the variables folded in with them and
    `outputs` the hidden variables that leave the fold (their shapes label the box)
    and `runs` the Runs folded inside a module fold (an LSTM's steps)."""

    id: str
    kind: str
    obj: Any
    home: Scope | None = None
    members: list = field(default_factory=list)
    hidden: list = field(default_factory=list)
    outputs: list = field(default_factory=list)
    runs: list = field(default_factory=list)  # the folded Runs inside a module fold


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
    folded: dict  # id(Scope) -> the Scope or Run it is drawn inside of, for folded scopes
    expand: Any = frozenset()  # fused operators drawn as primitives: True (all) or names
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


def plan(graph, modules, expand) -> dict:
    """{id(scope): the Scope or Run it is drawn inside of} for every folded scope: layers
    or depths as `modules` asks, composites, and runs (a run wins over its own scopes)."""
    return _planned_scene(graph, modules, expand)[0]


def _planned_scene(graph, modules, expand) -> tuple:
    """plan()'s folds and the scene they draw."""
    check_modules(modules)
    opened, fused = opened_scopes(graph, expand)
    runs = find_runs(graph)
    folds = fold_plan(graph, "cluster" if modules == "auto" else modules, opened, runs)
    scene = assemble(graph, folds, fused)
    if modules is False:
        _without_module_boxes(scene)
    if modules != "auto" or not graph.scopes:
        return folds, scene
    layers = layer_count(graph, opened, runs)
    big = len(scene) > AUTO_NODES or _longest(scene) > AUTO_RANKS or layers > AUTO_LAYERS
    if not big or layers < 2:  # one box for the whole model says less than its clusters
        return folds, scene
    folds = fold_plan(graph, "collapse", opened, runs)
    scene = assemble(graph, folds, fused)
    folded_blocks = []
    while _longest(scene) > AUTO_RANKS:
        blocks = [b for b in blocks_of(folds) if id(b) not in opened]
        if len(blocks_of(folds)) < 2 or not blocks:
            break
        folded_blocks += blocks
        folds.update((id(b), b) for b in blocks)  # outer scopes: they win over their layers
        scene = assemble(graph, folds, fused)
    if folded_blocks:
        name = module_path(graph, folded_blocks[0]) or folded_blocks[0].name
        scene.notes.append(f"{layers} layers drawn in {len(folded_blocks)} blocks: "
                           f"expand={name!r} opens one, modules='collapse' shows every layer")
    return folds, scene


def _without_module_boxes(scene) -> None:
    """modules=False: every item leaves its module clusters; only a composite function's
    own cluster (an expanded cross-entropy) still encloses its primitives."""
    for item in scene.items.values():
        home = item.home
        while home is not None and not home.composite:
            home = home.parent
        item.home = home


def _longest(scene) -> int:
    return max(ranks(scene).values(), default=0)


# --------------------------------------------------------------------------------------
# assembling a scene


def _outermost_folded(scope_, folded):
    for item in scope_.chain() if scope_ is not None else ():
        if id(item) in folded:
            return folded[id(item)]
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
        self.fold_inputs = []
        for i, variable in enumerate(self.graph.variables):
            self._place_variable(i, variable)
        self._bundle_fold_inputs()
        self._step_outputs()
        self._connect()
        ordered = self._drawing_order()
        return Scene(self.graph, ordered, self.edges, self.rep, self.folded, self.expand)

    def _fold_item(self, key) -> Item:
        if isinstance(key, Run):
            item_id, kind = f"r{self.scope_index[id(key.first)]}", "repeat"
        else:
            item_id = f"m{self.scope_index[id(key)]}"
            kind = "composite" if key.composite else "module"
        if item_id not in self.items:
            self.items[item_id] = Item(item_id, kind, key, key.parent)
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
        """A value made inside a fold is hidden in it (the box shows its shape) unless it
        is a graph output; a parameter or constant used by one fold only is listed there."""
        graph = self.graph
        users = {id(self.rep[n]): self.rep[n] for n in self.consumers.get(id(variable), [])}
        home = self._home(variable)
        fold = _outermost_folded(home, self.folded)
        if fold is not None:
            home = fold.parent
        if graph.producer_of(variable) is not None and fold is not None:
            fold_item = self._fold_item(fold)
            is_output = id(variable) in self.output_ids
            if is_output or any(user is not fold_item for user in users.values()):
                fold_item.outputs.append(variable)
            if not is_output:
                self._hide(variable, fold_item)
                return
        elif graph.producer_of(variable) is None and len(users) == 1:
            (user,) = users.values()
            if user.kind in ("repeat", "module") and graph.kind_of(variable) == "input":
                self.fold_inputs.append((index, variable, user, home))
                return
            if user.kind != "operator" and graph.kind_of(variable) != "input":
                self._hide(variable, user)
                return
        self._draw_variable(index, variable, home)

    def _draw_variable(self, index, variable, home):
        item_id = f"v{index}"
        item = Item(item_id, "variable", variable, home)
        self.items[item_id] = item
        self.rep[id(variable)] = item

    def _bundle_fold_inputs(self):
        """Three or more inputs of one shape that only one fold uses (an RNN's x[t], sliced
        before the graph starts when x needs no gradient) are one "inputs" node, not one
        per time step."""
        groups = {}
        for index, variable, fold_item, home in self.fold_inputs:
            key = (fold_item.id, shape_of(variable), dtype_of(variable))
            groups.setdefault(key, []).append((index, variable, fold_item, home))
        for k, members in enumerate(groups.values()):
            if len(members) < BUNDLE_MIN:
                for index, variable, _, home in members:
                    self._draw_variable(index, variable, home)
                continue
            fold_item = members[0][2]
            bundle = Item(f"{fold_item.id}_in{k}", "inputs", fold_item.obj, members[0][3])
            for _, variable, _, _ in members:
                self._hide(variable, bundle)
            self.items[bundle.id] = bundle

    def _hide(self, variable, fold_item):
        fold_item.hidden.append(variable)
        self.rep[id(variable)] = fold_item

    def _step_outputs(self):
        """For every Run of the plan: per scope, the variables made in it that leave it;
        and each module fold's list of the runs inside it."""
        runs = list({id(key): key for key in self.folded.values() if isinstance(key, Run)}
                    .values())
        step_of = {}
        for run in runs:
            run.step_outputs = [[] for _ in run.scopes]
            step_of.update((id(s), (run, k)) for k, s in enumerate(run.scopes))
            fold = _outermost_folded(run.first, self.folded)
            if fold is not run:
                self._fold_item(fold).runs.append(run)
        if not step_of:
            return
        for node in self.graph.operators:
            own = scope_of(node)
            for s in own.chain() if own is not None else ():
                if id(s) not in step_of:
                    continue
                run, k = step_of[id(s)]
                variable = self.graph.output_of(node)
                inside = [self._within(user, s) for user in self.consumers.get(id(variable), [])]
                if id(variable) in self.output_ids or not all(inside):
                    run.step_outputs[k].append(variable)

    @staticmethod
    def _within(node, scope_) -> bool:
        own = scope_of(node)
        return own is not None and any(s is scope_ for s in own.chain())

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


def assemble(graph, folded, expand=frozenset()) -> Scene:
    return _Assembler(graph, folded, expand).scene()


def build_scene(graph, modules="auto", expand=False, max_nodes=DEFAULT_MAX_NODES) -> Scene:
    """The scene for `graph`: folds as `modules` and `expand` ask (see forward_graph),
    then, while it has more than `max_nodes` nodes, folds module calls from the deepest
    level up, and finally summarises the nodes farthest from the outputs in one node
    (the notes say what was collapsed)."""
    if max_nodes is not None and (not isinstance(max_nodes, int) or max_nodes < 2):
        raise ValueError(f"viz: max_nodes must be an int >= 2 or None, got {max_nodes!r}")
    folded, scene = _planned_scene(graph, modules, expand)
    if max_nodes is None or len(scene) <= max_nodes:
        return scene
    total = len(scene)
    scopes = module_scopes(graph) if modules is not False else []  # False: no module boxes
    depths = sorted({module_depth(s) for s in scopes}, reverse=True)
    for depth in depths:
        level = [s for s in scopes if module_depth(s) == depth]
        if len(level) < 2:  # one box for the whole model says less than a summary does
            break
        folded = {**{id(s): s for s in level}, **folded}
        scene = assemble(graph, folded, scene.expand)
        if len(scene) <= max_nodes:
            break
    actions = []
    count = len({id(key) for key in folded.values() if not key.composite})
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


def ranks(scene) -> dict:
    """Each item's rank: the longest path to it from a source along the scene's edges."""
    successors, waiting = {}, {item_id: 0 for item_id in scene.items}
    for edge in scene.edges:
        successors.setdefault(edge.source, []).append(edge.target)
        waiting[edge.target] += 1
    rank = {item_id: 0 for item_id in scene.items}
    ready = [item_id for item_id, count in waiting.items() if count == 0]
    while ready:
        item_id = ready.pop()
        for target in successors.get(item_id, ()):
            rank[target] = max(rank[target], rank[item_id] + 1)
            waiting[target] -= 1
            if waiting[target] == 0:
                ready.append(target)
    return rank


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
            if item.kind in ("variable", "inputs"):
                summary.hidden.extend([item.obj] if item.kind == "variable" else item.hidden)
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
