"""Strip outputs, execution counts and run timestamps from notebooks, in place.

    python notebooks/clear_outputs.py              # every notebook, exercises/ included
    python notebooks/clear_outputs.py a.ipynb ...  # just these

The test suite fails on a committed notebook with outputs (tests/notebooks/), so that
diffs show the cells that changed and not megabytes of base64 pictures.
"""

import sys
from pathlib import Path

import nbformat


def clear(path: Path) -> bool:
    """Clear one notebook; return True if anything was removed."""
    notebook = nbformat.read(path, as_version=4)
    changed = False
    for cell in notebook.cells:
        if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None):
            cell.outputs, cell.execution_count, changed = [], None, True
        if cell.metadata.pop("execution", None) is not None:  # per-cell run timestamps
            changed = True
    if notebook.metadata.pop("widgets", None) is not None:
        changed = True
    # The kernel rewrites language_info with its own Python version: keep just the name.
    if notebook.metadata.get("language_info", {}) != {"name": "python"}:
        notebook.metadata["language_info"] = {"name": "python"}
        changed = True
    if changed:
        nbformat.write(notebook, path)
    return changed


if __name__ == "__main__":
    here = Path(__file__).parent
    paths = [Path(p) for p in sys.argv[1:]] or sorted(
        [*here.glob("*.ipynb"), *here.glob("exercises/*.ipynb")])
    for path in paths:
        print(f"{'cleared' if clear(path) else 'clean  '}  {path}")
