"""Figure: the graphviz.Digraph every viz function returns, with a one-call save and a
helpful error (and Jupyter fallback) when Graphviz's `dot` program is missing."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import graphviz

RENDER_FORMATS = ("svg", "png", "pdf")
SOURCE_SUFFIXES = (".dot", ".gv")

INSTALL_HINT = (
    "Install Graphviz (the `dot` program is a system package, not a Python one):\n"
    "  Debian/Ubuntu: sudo apt-get install graphviz\n"
    "  Fedora:        sudo dnf install graphviz\n"
    "  macOS:         brew install graphviz\n"
    "  conda:         conda install -c conda-forge graphviz\n"
    "  or run `make dot` in the tracegrad repository.\n"
    "The DOT source needs no Graphviz: use fig.source or fig.save('graph.dot')."
)


class DotNotFoundError(graphviz.ExecutableNotFound):
    """Graphviz's `dot` is not on PATH. A graphviz.ExecutableNotFound (so a RuntimeError)
    whose message says how to install it."""

    def __init__(self, what: str = "render this graph"):
        RuntimeError.__init__(
            self, f"cannot {what}: Graphviz's `dot` program was not found on PATH.\n"
            + INSTALL_HINT
        )


class Figure(graphviz.Digraph):
    """A graphviz.Digraph (it shows inline in Jupyter) with `save(path)`.

    Rendering without Graphviz's `dot` raises DotNotFoundError with install hints; in
    Jupyter the figure then displays its DOT source and the hint instead of failing the
    cell. `fig.source` always works. `drawn_nodes` is how many nodes the picture has and
    `notes` says what was folded or summarised to keep it readable.
    """

    drawn_nodes: int = 0
    notes: list = []

    def pipe(self, format=None, *args, **kwargs):  # noqa: A002 - graphviz's name
        try:
            return super().pipe(format, *args, **kwargs)
        except graphviz.ExecutableNotFound as error:
            if isinstance(error, DotNotFoundError):
                raise
            raise DotNotFoundError(f"render to {format or self.format}") from error

    def render(self, *args, **kwargs):
        try:
            return super().render(*args, **kwargs)
        except graphviz.ExecutableNotFound as error:
            if isinstance(error, DotNotFoundError):
                raise
            raise DotNotFoundError("render this graph") from error

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        try:
            return super()._repr_mimebundle_(include, exclude, **kwargs)
        except graphviz.ExecutableNotFound as error:
            return {"text/plain": f"{error}\n\n{self.source}"}

    def save(self, path, format: str | None = None) -> Path:  # noqa: A002
        """Write the figure to `path`: .svg, .png or .pdf rendered by `dot`, or the DOT
        source for .dot/.gv. `format` overrides the suffix. Returns the path."""
        return save(self, path, format)


def save(figure, path, format: str | None = None) -> Path:  # noqa: A002 - graphviz's name
    """Write a Digraph to `path` in the format its suffix names (svg, png, pdf, dot, gv).

    The file is replaced atomically: a failed render leaves an existing file untouched.
    """
    path = Path(path)
    kind = (format or path.suffix.lstrip(".")).lower()
    if kind in ("dot", "gv"):
        data = figure.source.encode("utf-8")
    elif kind in RENDER_FORMATS:
        if not isinstance(figure, Figure):
            figure = _as_figure(figure)
        data = figure.pipe(format=kind)
    else:
        raise ValueError(
            f"save: cannot tell the format of {str(path)!r} (suffix {path.suffix!r}); use "
            f"one of .svg, .png, .pdf, .dot or .gv, or pass format="
        )
    _write_atomically(path, data)
    return path


def _as_figure(digraph) -> Figure:
    figure = Figure()
    figure.body = list(digraph.body)
    figure.graph_attr.update(digraph.graph_attr)
    figure.node_attr.update(digraph.node_attr)
    figure.edge_attr.update(digraph.edge_attr)
    return figure


def _write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file beside `path`, then rename it over `path`. os.open with
    mode 0o666 lets the umask decide the permissions, as for any new file (tempfile's
    files are private, 0o600)."""
    directory = path.parent if str(path.parent) else Path(".")
    directory.mkdir(parents=True, exist_ok=True)
    temporary = directory / f".{path.name}.{secrets.token_hex(6)}.tmp"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
