"""Issue 12.11: a viz Figure honours graphviz.Digraph's public API with graphviz's own
signatures (torchviz users type `render(filename, directory=..., format="png")`)."""

import inspect
import shutil
from pathlib import Path

import graphviz
import pytest

from autograd import Scalar, viz

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot not installed")
PNG = b"\x89PNG\r\n\x1a\n"


def figure():
    x, w = Scalar(2.0, name="x", requires_grad=False), Scalar(-3.0, name="w")
    out = (x * w).tanh()
    out.name = "o"
    return viz.forward_graph(out)


@pytest.mark.parametrize("method", ["render", "pipe", "save", "view", "_repr_mimebundle_"])
def test_figure_methods_take_graphvizs_parameters(method):
    ours = inspect.signature(getattr(viz.Figure, method)).parameters
    theirs = inspect.signature(getattr(graphviz.Digraph, method)).parameters
    for name, parameter in theirs.items():
        assert name in ours, f"Figure.{method} lacks graphviz's parameter {name!r}"
        assert ours[name].kind == parameter.kind, (method, name)
        assert ours[name].default == parameter.default, (method, name)
    positional = [n for n, p in theirs.items() if p.kind is p.POSITIONAL_OR_KEYWORD]
    assert [n for n, p in ours.items() if p.kind is p.POSITIONAL_OR_KEYWORD] == positional


@needs_dot
def test_figure_render_with_directory_and_format_like_torchviz(tmp_path):
    rendered = figure().render("graph", directory=tmp_path, format="png")
    assert rendered == str(tmp_path / "graph.png")
    assert Path(rendered).read_bytes().startswith(PNG)
    assert (tmp_path / "graph").read_text(encoding="utf-8").startswith("digraph")


@needs_dot
def test_figure_render_positional_cleanup_and_outfile(tmp_path):
    fig = figure()
    rendered = fig.render(str(tmp_path / "g.gv"), None, False, True, "svg")
    assert rendered == str(tmp_path / "g.gv.svg") and "<svg" in Path(rendered).read_text()
    assert not (tmp_path / "g.gv").exists()  # cleanup=True removed the source
    # A filename ending in .svg is still the DOT source's name, as in graphviz.
    rendered = fig.render(tmp_path / "pic.svg", format="svg")
    assert (tmp_path / "pic.svg").read_text().startswith("digraph")
    assert "<svg" in Path(rendered).read_text()
    out = fig.render(outfile=tmp_path / "direct.pdf")
    assert Path(out).read_bytes().startswith(b"%PDF")


def test_figure_save_writes_the_source_as_graphviz_does(tmp_path):
    fig = figure()
    path = fig.save("g.gv", directory=tmp_path)
    assert isinstance(path, str) and Path(path).read_text(encoding="utf-8") == fig.source
    Path(path).write_text("kept")
    assert fig.save(skip_existing=True) == path and Path(path).read_text() == "kept"
    assert fig.filename == "g.gv" and fig.directory == tmp_path  # remembered, as graphviz


@needs_dot
def test_figure_save_renders_a_picture_by_suffix_or_format(tmp_path):
    fig = figure()
    assert fig.save(tmp_path / "a.png").read_bytes().startswith(PNG)
    assert fig.save("b", directory=tmp_path, format="svg").read_text().startswith("<?xml")
    with pytest.raises(ValueError, match="format must be one of"):
        fig.save(tmp_path / "c", format="bmpx")
    assert fig.save(directory=tmp_path, format="pdf") == tmp_path / "tracegrad.pdf"
    assert (tmp_path / "tracegrad.pdf").read_bytes().startswith(b"%PDF")


@needs_dot
def test_figure_pipe_view_and_jupyter_hooks(tmp_path, monkeypatch):
    fig = figure()
    assert fig.pipe("png").startswith(PNG)
    assert fig.pipe(format="svg", encoding="utf-8").lstrip().startswith("<?xml")
    assert fig.pipe("svg", None, None, None, True).startswith(b"<?xml")
    assert fig.source.startswith("digraph")
    assert "<svg" in fig._repr_svg_()
    assert "<svg" in fig._repr_mimebundle_(include=["image/svg+xml"])["image/svg+xml"]
    assert list(fig._repr_mimebundle_(include=["image/png"])) == ["image/png"]
    opened = []
    monkeypatch.setattr(viz.Figure, "_view", lambda self, path, format, quiet:
                        opened.append((path, format)))
    shown = fig.view("v.gv", directory=tmp_path, cleanup=True)
    assert opened == [(shown, "pdf")] and Path(shown).read_bytes().startswith(b"%PDF")
    assert not (tmp_path / "v.gv").exists()
