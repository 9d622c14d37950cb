"""How things look: colours, the gradient-magnitude scale, and label text.

Every label is an HTML-like Graphviz label built here, and every piece of user text in it
goes through `escape` (a name like `<lambda>` would otherwise be read as markup, RELIABILITY
H2). Node ids are opaque (`v3`, `op7`) and never contain user text (H3).
"""

from __future__ import annotations

import html
import math
import unicodedata

import numpy as np

FONT = "Helvetica"

# Fill and border colours by variable kind: parameters (leaves that require grad) stand out.
KIND_STYLE = {
    "input": {"fillcolor": "#dbe9f6", "color": "#4a7ab0", "penwidth": "1"},
    "parameter": {"fillcolor": "#fde5c4", "color": "#c86e12", "penwidth": "2.2"},
    "constant": {"fillcolor": "#ffffff", "color": "#9a9a9a", "penwidth": "1"},
    "intermediate": {"fillcolor": "#ffffff", "color": "#555555", "penwidth": "1"},
    "output": {"fillcolor": "#dcefd5", "color": "#3c7a2d", "penwidth": "1.6"},
}
KIND_LEGEND = {
    "input": "input",
    "parameter": "parameter (requires grad)",
    "constant": "constant",
    "intermediate": "intermediate",
    "output": "output",
}
OPERATOR_FILL = "#eeeeee"
OPERATOR_BORDER = "#555555"
MODULE_FILL = "#e9e2f5"
MODULE_BORDER = "#6a51a3"
REPEAT_FILL = "#e2eef5"  # a folded run of time steps: a layer box in a cooler tint
CLUSTER_FILLS = ("#f6f4fb", "#eeeaf7", "#e6e0f3", "#ded6ef")
COMPOSITE_CLUSTER_FILL = "#fbf7ee"
SUMMARY_FILL = "#fff5cc"
HIGHLIGHT = "#e6550d"  # the operator a backward step is processing
HIGHLIGHT_FILL = "#fdd0a2"


# --------------------------------------------------------------------------------------
# gradient magnitude → colour and width, on a log scale

SCALE_LOW, SCALE_HIGH = 1e-7, 1e3  # the ends of the colour scale (log10: -7 … 3)
VANISHING, EXPLODING = 1e-6, 1e2  # below / above: flagged in tables and legends
# (log10 magnitude, colour) stops: pale grey where gradients vanish, blues to purple
# for the usual 1e-3 … 1e1, reds from 1e2 (exploding). Relative luminance falls along the
# ramp, so "fainter" always means "smaller".
RAMP = ((-7.0, "#dedede"), (-5.0, "#b9d3ea"), (-3.0, "#6baed6"), (-1.5, "#2f7bbf"),
        (1.0, "#6a3d9a"), (1.7, "#9a1035"), (2.2, "#8b0000"), (3.0, "#5c0000"))
ZERO_COLOR = "#bdbdbd"  # exactly zero gradient (a dead ReLU): dotted
NONE_COLOR = "#cfcfcf"  # no gradient at all (constants, or before backward): dashed
NAN_COLOR = "#d41bd4"  # nan/inf in the gradient: loud magenta


def _rgb(color: str) -> tuple:
    return tuple(int(color[i:i + 2], 16) for i in (1, 3, 5))


def _hex(rgb) -> str:
    return "#" + "".join(f"{round(c):02x}" for c in rgb)


def scale_position(magnitude: float) -> float:
    """Where a magnitude sits on the log scale: 0 at SCALE_LOW or below, 1 at SCALE_HIGH."""
    if magnitude <= 0:
        return 0.0
    low, high = math.log10(SCALE_LOW), math.log10(SCALE_HIGH)
    return min(1.0, max(0.0, (math.log10(magnitude) - low) / (high - low)))


def _linear(channel: float) -> float:
    c = channel / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def _srgb(linear: float) -> float:
    c = linear * 12.92 if linear <= 0.0031308 else 1.055 * linear ** (1 / 2.4) - 0.055
    return 255 * c


def ramp_color(position: float) -> str:
    """The colour at `position` in [0, 1] of the log scale, mixed in linear light between
    RAMP's stops (luminance is linear there, so it falls monotonically)."""
    low, high = math.log10(SCALE_LOW), math.log10(SCALE_HIGH)
    exponent = low + position * (high - low)
    last = len(RAMP) - 2
    segment = next((i for i in range(last) if exponent <= RAMP[i + 1][0]), last)
    (x0, c0), (x1, c1) = RAMP[segment], RAMP[segment + 1]
    frac = min(1.0, max(0.0, (exponent - x0) / (x1 - x0)))
    a, b = [_linear(c) for c in _rgb(c0)], [_linear(c) for c in _rgb(c1)]
    return _hex(_srgb(x + (y - x) * frac) for x, y in zip(a, b, strict=True))


def magnitude_color(magnitude) -> str:
    """Edge colour for a gradient magnitude (None: no gradient; 0: zero; nan: magenta)."""
    if magnitude is None:
        return NONE_COLOR
    if not math.isfinite(magnitude):
        return NAN_COLOR
    if magnitude == 0:
        return ZERO_COLOR
    return ramp_color(scale_position(magnitude))


def magnitude_width(magnitude) -> float:
    """Edge width for a gradient magnitude: 0.6 (vanishing) to 5 (exploding)."""
    if magnitude is None or magnitude == 0:
        return 0.8
    if not math.isfinite(magnitude):
        return 5.0
    return round(0.6 + 4.4 * scale_position(magnitude), 2)


def magnitude_style(magnitude) -> str:
    if magnitude is None:
        return "dashed"
    return "dotted" if magnitude == 0 else "solid"


def relative_luminance(color: str) -> float:
    """WCAG relative luminance of an #rrggbb colour (used to keep the ramp monotone)."""
    r, g, b = (_linear(c) for c in _rgb(color))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def grad_array(variable):
    """The variable's .grad as a float or ndarray, or None. An intermediate Tensor that
    does not retain its gradient has none, and reading it would warn the user."""
    if getattr(variable, "grad_fn", None) is not None and not getattr(
            variable, "retains_grad", True):
        return None
    grad = variable.grad
    if grad is None:
        return None
    data = getattr(grad, "data", grad)
    return data if isinstance(data, np.ndarray) else float(data)


def magnitude(grad) -> float | None:
    """The size of a gradient for colours: |g| for a number, the RMS of the elements for an
    array (so a big weight matrix and a small bias compare fairly); nan if any element is
    nan or inf; None for no gradient."""
    if grad is None:
        return None
    if isinstance(grad, float):
        return abs(grad) if math.isfinite(grad) else math.nan
    array = np.asarray(grad, dtype=np.float64)
    if array.size == 0:
        return 0.0
    if not np.isfinite(array).all():
        return math.nan
    return float(np.sqrt(np.mean(np.square(array))))


# --------------------------------------------------------------------------------------
# text


NAME_LIMIT = 40  # characters of a name a picture shows; the variable keeps its full name
TEXT_LIMIT = 1000  # any other piece of text, so no label can grow without bound
_BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_HIDDEN = {"Cc", "Cs", "Co", "Cn", "Zl", "Zp"}  # controls, lone surrogates, unassigned


def printable(text, limit: int = TEXT_LIMIT) -> str:
    """`text` as a picture can show it: every control character (ANSI escapes, NUL,
    vertical tab), lone surrogate, unassigned code point or bidi override written as its
    Python escape (\\x1b, \\udcff), and cut to `limit` characters with a final "…"."""
    text = str(text)[:limit + 1]
    if not text.isprintable():
        text = "".join(_visible(c) for c in text)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _visible(char: str) -> str:
    if char == " " or (char not in _BIDI and unicodedata.category(char) not in _HIDDEN):
        return char
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else (
        f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")


def escape(text, limit: int = TEXT_LIMIT) -> str:
    """User text made safe for an HTML-like label: printable (see `printable`), at most
    `limit` characters, and <, >, &, quotes escaped (backslashes are literal there)."""
    return html.escape(printable(text, limit), quote=True)


def name(text) -> str:
    """A variable, module or operator name as a label shows it: escaped, at most
    NAME_LIMIT characters."""
    return escape(text, NAME_LIMIT)


def plain(text, limit: int = TEXT_LIMIT) -> str:
    """User text made safe for a plain DOT string such as a tooltip: printable, entities
    for markup characters, doubled backslashes (DOT reads `\\N` and friends as escapes, H4)."""
    return html.escape(printable(text, limit), quote=False).replace("\\", "\\\\")


def number(x: float, digits: int = 4) -> str:
    """A compact number: `digits` significant digits, exponent form outside [1e-3, 1e4)."""
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    x = float(x)
    if math.isnan(x) or math.isinf(x):
        return str(x)
    if x == 0:
        return "0"
    if 1e-3 <= abs(x) < 1e4:
        return f"{x:.{digits}g}"
    return f"{x:.{digits - 2}e}"


SMALL = 6  # arrays with at most this many elements are shown in full


def value_lines(value, prefix: str = "") -> list:
    """Lines describing a value: the numbers themselves when small, else a summary."""
    if value is None:
        return []
    if not isinstance(value, np.ndarray):
        return [prefix + number(value)]
    if value.size <= SMALL and value.ndim <= 2:
        return [prefix + line for line in _small_array_lines(value)]
    return [prefix + line for line in _summary_lines(value)]


def _small_array_lines(array) -> list:
    if array.ndim == 0:
        return [number(array.item())]
    if array.ndim == 1:
        return ["[" + ", ".join(number(x) for x in array.tolist()) + "]"]
    if array.shape[0] == 0:
        return ["[]"]
    rows = ["[" + ", ".join(number(x) for x in row) + "]" for row in array.tolist()]
    if len(rows) == 1:
        return ["[" + rows[0] + "]"]
    return ["[" + rows[0]] + [" " + row for row in rows[1:-1]] + [" " + rows[-1] + "]"]


def _summary_lines(array) -> list:
    if array.size == 0:
        return ["empty"]
    if array.dtype.kind == "b":
        return [f"{int(array.sum())} true of {array.size}"]
    data = array.astype(np.float64, copy=False)
    finite = np.isfinite(data)
    lines = []
    if not finite.all():
        lines.append(f"{int(np.isnan(data).sum())} nan, {int(np.isinf(data).sum())} inf")
        data = data[finite]
        if data.size == 0:
            return lines
    low, high = data.min(), data.max()
    if low == high:
        return lines + [f"all {number(low)}"]
    lines.append(f"mean {number(data.mean(), 3)}  std {number(data.std(), 3)}")
    lines.append(f"min {number(low, 3)}  max {number(high, 3)}")
    return lines


def grad_lines(grad, one_line: bool = False) -> list:
    """How a gradient is written on a variable. The first line is the number the colour
    encodes (`magnitude`): the gradient itself for one number, else "rms ..." — so two
    boxes that read the same have the same colour. A small array (as small as a value
    shown in full) follows in full, so a 3×1 weight's gradient can be read off the
    picture; a larger one (or any, with one_line=True) gets its norm beside the RMS."""
    if grad is None:
        return []
    if not isinstance(grad, np.ndarray) or grad.size <= 1:
        return value_lines(grad, "grad ")
    rms = f"rms {number(magnitude(grad))}"
    if one_line or grad.size > SMALL or grad.ndim > 2:
        norm = float(np.linalg.norm(grad.astype(np.float64, copy=False).ravel()))
        return [f"{rms}  ‖grad‖ {number(norm)}"]
    lines = value_lines(grad)
    return [rms, "grad " + lines[0]] + ["     " + line for line in lines[1:]]


def shape_text(shape: tuple, dtype: str) -> str:
    return f"{shape} {dtype}" if shape != () else dtype


def html_label(lines) -> str:
    """An HTML-like label from already-escaped lines (joined with line breaks)."""
    return "<" + "<BR/>".join(lines) + ">"


def small(text: str, color: str = "#555555", size: int = 9) -> str:
    return f'<FONT POINT-SIZE="{size}" COLOR="{color}">{text}</FONT>'


def swatch(color: str) -> str:
    """A colour mark inside a node's text, before the number it encodes."""
    return f'<FONT COLOR="{color}">■</FONT>'
