"""Build the documentation site: the README, the design and reliability docs, an API
reference from the docstrings, and every notebook executed with its pictures and plots.

    python scripts/build_site.py           # `make docs`: execute the notebooks, build site/
    python scripts/build_site.py --serve   # `make docs-serve`: the same, then serve it

The pages are staged in build/site-src/ (mkdocs.yml's docs_dir) with the repository's
layout, so the README's relative links keep working, and mkdocs builds them with
--strict: a broken link or a docstring mkdocstrings cannot read fails the build. The
notebooks are executed here (as the test suite does, in a fresh kernel each); the test
suite hands over the notebooks it has already executed instead of running them twice.
Nothing is downloaded: mkdocs-material, mkdocs-jupyter, mkdocstrings and MathJax
(jupyter-server-mathjax) are pip packages, and the pages load nothing from the network.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import jupyter_server_mathjax
import nbformat
import yaml
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from traitlets.config import Config

ROOT = Path(__file__).resolve().parents[1]
STAGE = ROOT / "build" / "site-src"
SITE = ROOT / "site"
NOTEBOOKS = sorted([*ROOT.glob("notebooks/*.ipynb"), *ROOT.glob("notebooks/exercises/*.ipynb")])
# Markdown pages besides the notebooks, at their repository paths (docs/demo.md is a
# README snippet with root-relative image paths, not a page).
PAGES = ["README.md", "docs/design.md", "docs/reliability.md", "docs/train-mlp.md",
         "docs/api-extras.md", "docs/export.md", "notebooks/README.md", "notebooks/exercises/README.md"]
ASSETS = ["docs/images"]
# MathJax 2, shipped by the jupyter-server-mathjax package: formulas render offline.
MATHJAX = Path(jupyter_server_mathjax.__file__).parent / "static"
CELL_TIMEOUT_SECONDS = 120


def kernel_env(scratch: Path) -> dict:
    """The environment a notebook kernel runs in: figures rendered as in Jupyter, one
    BLAS thread, hypothesis's cache out of the notebook folder."""
    env = dict(os.environ)
    env["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    env["PYTHONHASHSEED"] = "0"
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    env["HYPOTHESIS_STORAGE_DIRECTORY"] = str(scratch / "hypothesis")
    return env


def execute(path: Path, scratch: Path):
    """Run one notebook top to bottom in a fresh kernel, in its own folder.
    Returns (executed notebook, seconds, CellExecutionError or None)."""
    notebook = nbformat.read(path, as_version=4)
    # Talk to the kernel over local sockets in the scratch folder: over TCP every kernel
    # warns on stderr that the connection is unencrypted.
    settings = Config()
    settings.KernelManager.transport = "ipc"
    settings.KernelManager.ip = str(scratch / "kernel")
    scratch.mkdir(parents=True, exist_ok=True)
    client = NotebookClient(notebook, timeout=CELL_TIMEOUT_SECONDS, kernel_name="python3",
                            config=settings, resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    try:
        client.execute(env=kernel_env(scratch))
    except CellExecutionError as error:
        return notebook, time.perf_counter() - start, error
    return notebook, time.perf_counter() - start, None


def stage(executed: dict) -> Path:
    """Write the site's sources to STAGE: the pages, their images, the API reference
    (api/*.md) and the executed notebooks ({path: notebook})."""
    if STAGE.exists():
        shutil.rmtree(STAGE)
    for page in PAGES:
        target = STAGE / page
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / page, target)
    for asset in ASSETS:
        shutil.copytree(ROOT / asset, STAGE / asset,
                        ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    shutil.copytree(ROOT / "docs" / "api", STAGE / "api")
    shutil.copytree(ROOT / "docs" / "site-assets", STAGE / "assets")
    shutil.copytree(MATHJAX, STAGE / "assets" / "mathjax")
    for path, notebook in executed.items():
        target = STAGE / Path(path).resolve().relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, target)
    return STAGE


def config(executed: dict) -> Path:
    """mkdocs.yml with absolute paths and every notebook in the nav (under "Notebooks" or
    "Exercises", titled by its first heading), written next to the staged pages."""
    settings = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    settings["docs_dir"] = str(STAGE)
    sections = {"notebooks": "Notebooks", "exercises": "Exercises"}
    for path in sorted(executed):
        section = sections[Path(path).parent.name]
        page = Path(path).resolve().relative_to(ROOT).as_posix()
        entry = next(item for item in settings["nav"] if section in item)
        entry[section].append({_title(executed[path], Path(path)): page})
    for plugin in settings["plugins"]:
        if isinstance(plugin, dict) and "mkdocstrings" in plugin:
            plugin["mkdocstrings"]["handlers"]["python"]["paths"] = [str(ROOT)]
    target = STAGE.parent / "mkdocs.yml"
    target.write_text(yaml.safe_dump(settings, allow_unicode=True, sort_keys=False),
                      encoding="utf-8")
    return target


def _title(notebook, path: Path) -> str:
    """The notebook's first heading without its '#' and its 'Exercise' prefix."""
    for cell in notebook.cells:
        if cell.cell_type == "markdown" and cell.source.startswith("# "):
            return cell.source.splitlines()[0][2:].removeprefix("Exercise ").strip()
    return path.stem


def build(executed: dict | None = None, strict: bool = True, site_dir: Path = SITE) -> Path:
    """Stage and build the site into `site_dir`; executes the notebooks not in
    `executed` ({path: executed notebook}). Raises RuntimeError naming the notebook or
    the mkdocs warning that failed the build."""
    executed = dict(executed or {})
    scratch = ROOT / "build" / "kernel-scratch"
    for path in NOTEBOOKS:
        if path not in executed:
            notebook, seconds, error = execute(path, scratch)
            if error is not None:
                raise RuntimeError(f"build_site: {path.name} failed:\n{error}")
            print(f"executed {path.relative_to(ROOT)} in {seconds:.1f} s", flush=True)
            executed[path] = notebook
    stage(executed)
    command = [sys.executable, "-m", "mkdocs", "build", "--clean", "-f", str(config(executed)),
               "-d", str(site_dir)] + (["--strict"] if strict else [])
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"build_site: mkdocs build failed:\n{result.stderr[-6000:]}")
    return Path(site_dir)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--serve", action="store_true", help="serve the built site")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    site = build()
    pages = len(list(site.rglob("*.html")))
    print(f"site built in {time.perf_counter() - start:.0f} s: {pages} HTML files in {site}")
    if args.serve:
        print(f"serving on http://127.0.0.1:{args.port}/ (Ctrl-C stops)")
        subprocess.run([sys.executable, "-m", "http.server", str(args.port), "--bind",
                        "127.0.0.1", "--directory", str(site)])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
