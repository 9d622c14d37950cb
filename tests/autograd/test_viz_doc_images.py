"""Issue 18.2: the committed pictures in docs/images (the README's among them) are what
the code draws today. docs/images/make_images.py regenerates them into a temporary
folder; each SVG is compared with the committed one through what it shows (every node's
and edge's title, text and colours, and the title and legend text), not through its
bytes or coordinates, which change with Graphviz's version."""

import importlib.util
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
IMAGES = ROOT / "docs" / "images"
SVG = "{http://www.w3.org/2000/svg}"
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot not installed")


def _words(element) -> str:
    return " ".join(" ".join(element.itertext()).split())


def shown(svg_text: str) -> list:
    """What an SVG picture shows, without geometry: per node, edge and cluster group its
    class, title, text and the colours it is drawn in; then the graph label's text."""
    root = ET.fromstring(svg_text.encode("utf-8"))
    top = root.find(f"{SVG}g")
    picture = []
    for group in top.iter(f"{SVG}g"):
        kind = (group.get("class") or "").split(" ")[0]  # "node variable input": a node
        if kind not in ("node", "edge", "cluster"):
            continue
        colours = sorted({value for element in group.iter() for key in ("fill", "stroke")
                          if (value := element.get(key)) not in (None, "none")})
        texts = " ".join(_words(t) for t in group.iter(f"{SVG}text"))
        picture.append((kind, group.findtext(f"{SVG}title"), texts, colours))
    label = " ".join(_words(t) for t in top.findall(f"{SVG}text"))
    return picture + [("label", label)]


def _make_images():
    spec = importlib.util.spec_from_file_location("make_images", IMAGES / "make_images.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    out = tmp_path_factory.mktemp("images")
    return out, _make_images().main(out)


@needs_dot
def test_docs_images_match_what_the_code_draws_today(regenerated):
    out, paths = regenerated
    made = sorted(str(p.relative_to(out)) for p in paths)
    committed = sorted(str(p.relative_to(IMAGES)) for p in IMAGES.rglob("*")
                       if p.suffix in (".svg", ".txt"))
    assert made == committed, "docs/images holds files the script does not make, or lacks one"
    stale = []
    for name in made:
        new, old = out / name, IMAGES / name
        if name.endswith(".svg"):
            same = shown(new.read_text(encoding="utf-8")) == shown(
                old.read_text(encoding="utf-8"))
        else:
            same = new.read_text(encoding="utf-8") == old.read_text(encoding="utf-8")
        if not same:
            stale.append(name)
    assert not stale, (f"docs/images/{', '.join(stale)} differ from what the code draws; "
                       "run `python docs/images/make_images.py` and commit the result")


@needs_dot
def test_the_readme_shows_the_backward_step_its_prose_describes(regenerated):
    out, _ = regenerated
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "](docs/images/demo/backward_step.svg)" in text
    assert "x1 · 0.1605 = 0.3211" in text  # the README's words for that frame
    label = shown((out / "demo" / "backward_step.svg").read_text(encoding="utf-8"))[-1][1]
    assert "to w1: 0.1605 × 2 = 0.3211" in label and "mul" in label


def test_shown_ignores_geometry_but_not_text_or_colour():
    svg = ('<svg xmlns="http://www.w3.org/2000/svg"><g class="graph"><text x="{x}">T</text>'
           '<g class="node variable"><title>v0</title><polygon fill="{fill}" points="{x},0"/>'
           '<text x="{x}">grad 0.5</text></g></g></svg>')
    base = shown(svg.format(x=1, fill="#ffffff"))
    assert shown(svg.format(x=7, fill="#ffffff")) == base
    assert shown(svg.format(x=1, fill="#000000")) != base
    assert shown(svg.replace("0.5", "0.6").format(x=1, fill="#ffffff")) != base
