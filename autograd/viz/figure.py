"""Figure: the graphviz.Digraph every viz function returns, with a one-call save and a
helpful error (and Jupyter fallback) when Graphviz's `dot` program is missing."""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

import graphviz

RENDER_FORMATS = ("svg", "png", "pdf")
SOURCE_FORMATS = ("dot", "gv")

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
    """A graphviz.Digraph (it shows inline in Jupyter): render, pipe, save, view, source,
    _repr_svg_ and _repr_mimebundle_ take graphviz's arguments and behave as graphviz's do.

    Two additions: `save("graph.svg")` (a .svg, .png or .pdf name, or format=) renders the
    picture itself where graphviz would write the DOT text, and `svg_size()` gives the
    picture's size in pixels. Rendering without Graphviz's `dot` raises DotNotFoundError
    with install hints; in Jupyter the figure then displays its DOT source and the hint
    instead of failing the cell. `drawn_nodes` is how many nodes the picture has and
    `notes` says what was folded or summarised to keep it readable.
    """

    drawn_nodes: int = 0
    notes: list = []
    _saving_source = False  # set while graphviz's render() writes the source via save()

    def pipe(self, format=None, renderer=None, formatter=None,  # noqa: A002 - graphviz's
             neato_no_op=None, quiet=False, *, engine=None, encoding=None):
        try:
            return super().pipe(format, renderer=renderer, formatter=formatter,
                                neato_no_op=neato_no_op, quiet=quiet, engine=engine,
                                encoding=encoding)
        except graphviz.ExecutableNotFound as error:
            if isinstance(error, DotNotFoundError):
                raise
            raise DotNotFoundError(f"render to {format or self.format}") from error

    def render(self, filename=None, directory=None, view=False, cleanup=False,
               format=None, renderer=None, formatter=None,  # noqa: A002 - graphviz's
               neato_no_op=None, quiet=False, quiet_view=False, *, outfile=None,
               engine=None, raise_if_result_exists=False, overwrite_source=False):
        # graphviz's render writes the DOT source through self.save(filename) and runs
        # dot on it: that save must write source even for a name like "graph.svg".
        self._saving_source = True
        try:
            return super().render(
                filename, directory=directory, view=view, cleanup=cleanup, format=format,
                renderer=renderer, formatter=formatter, neato_no_op=neato_no_op, quiet=quiet,
                quiet_view=quiet_view, outfile=outfile, engine=engine,
                raise_if_result_exists=raise_if_result_exists, overwrite_source=overwrite_source)
        except graphviz.ExecutableNotFound as error:
            if isinstance(error, DotNotFoundError):
                raise
            raise DotNotFoundError("render this graph") from error
        finally:
            self._saving_source = False

    def save(self, filename=None, directory=None, *, skip_existing=False,
             format=None):  # noqa: A002 - graphviz's name
        """graphviz's save (write the DOT source to directory/filename, return its path as
        a str), except that a .svg, .png or .pdf filename, or format="svg"/"png"/"pdf",
        renders the picture into that file instead (atomically; returns a Path)."""
        path = Path(directory or "", filename) if filename is not None else None
        kind = (format or (path.suffix.lstrip(".") if path else "")).lower()
        if self._saving_source or kind not in RENDER_FORMATS:
            if format is not None and format.lower() not in SOURCE_FORMATS:
                raise ValueError(f"save: format must be one of {', '.join(RENDER_FORMATS)} "
                                 f"or {', '.join(SOURCE_FORMATS)}, got {format!r}")
            return super().save(filename, directory=directory, skip_existing=skip_existing)
        if path is None:  # graphviz's default name, e.g. tracegrad.gv -> tracegrad.svg
            path = Path(directory or self.directory, self.filename).with_suffix(f".{kind}")
        if skip_existing and path.exists():
            return path
        return save(self, path, kind)

    def view(self, filename=None, directory=None, cleanup=False, quiet=False,
             quiet_view=False):
        return super().view(filename, directory=directory, cleanup=cleanup, quiet=quiet,
                            quiet_view=quiet_view)

    def _repr_mimebundle_(self, include=None, exclude=None, **_):
        try:
            return super()._repr_mimebundle_(include, exclude, **_)
        except graphviz.ExecutableNotFound as error:
            return {"text/plain": f"{error}\n\n{self.source}"}

    def _repr_svg_(self) -> str:
        """The picture as SVG text (IPython's older display hook; graphviz < 0.19 had it)."""
        return self.pipe(format="svg", encoding="utf-8")

    def svg_size(self) -> tuple:
        """(width, height) in pixels of the rendered SVG as a browser or Jupyter shows it
        at its default size. Needs `dot`."""
        return svg_size(self.pipe(format="svg", encoding="utf-8"))


def svg_size(svg: str) -> tuple:
    """(width, height) in pixels of an SVG document's root element, as a browser draws
    it: Graphviz writes points, and a point is 4/3 px (96 px per inch)."""
    head = svg[svg.index("<svg"):svg.index(">", svg.index("<svg"))]
    sizes = []
    for key in ("width", "height"):
        match = re.search(rf'\b{key}="([\d.]+)(pt|px)?"', head)
        if match is None:
            raise ValueError(f"svg_size: the <svg> element has no {key} in points or pixels")
        scale = 4 / 3 if match.group(2) == "pt" else 1.0
        sizes.append(round(float(match.group(1)) * scale))
    return tuple(sizes)


def save(figure, path, format: str | None = None) -> Path:  # noqa: A002 - graphviz's name
    """Write a Digraph to `path` in the format its suffix names (svg, png, pdf, dot, gv).

    The file is replaced atomically: a failed render leaves an existing file untouched.
    """
    path = Path(path)
    kind = (format or path.suffix.lstrip(".")).lower()
    if kind in SOURCE_FORMATS:
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
