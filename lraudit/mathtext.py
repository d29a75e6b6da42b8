r"""Render the reStructuredText / LaTeX of the family docstrings as plain text for a terminal.

The docstrings keep the math for the docs (``.. math::`` blocks, ``:math:`` roles); ``lraudit
families`` prints them readably: ``\frac{a}{b}`` -> ``(a)/(b)`` (parentheses only around
compound terms), ``\begin{cases} x & c \\ ... \end{cases}`` -> one ``x    if c`` line per case,
Greek letters and relations as Unicode (``\pi`` -> ``π``, ``\le`` -> ``≤``; the CLI falls back
to ASCII when the terminal cannot encode them), ``_{x}`` / ``^{x}`` -> ``_x`` / ``^(x)``,
``:math:`x``` -> ``x``, double back-quotes dropped.

>>> latex_to_text(r"\frac{lr_p - lr_e}{2} \left(1 + \cos\frac{\pi (s - s_0)}{D}\right)")
'(lr_p - lr_e)/2 (1 + cos((π (s - s_0))/D))'
>>> latex_to_text(r"s_0 \le s < s_0 + D")
's_0 ≤ s < s_0 + D'
"""

from __future__ import annotations

import re

_SYMBOLS = {
    "pi": "π",
    "tau": "τ",
    "gamma": "γ",
    "varphi": "φ",
    "phi": "φ",
    "alpha": "α",
    "beta": "β",
    "eta": "η",
    "lambda": "λ",
    "le": "≤",
    "leq": "≤",
    "ge": "≥",
    "geq": "≥",
    "lt": "<",
    "gt": ">",
    "in": "∈",
    "cdot": "·",
    "times": "×",
    "dots": "...",
    "ldots": "...",
    "cdots": "...",
    "lfloor": "⌊",
    "rfloor": "⌋",
    "lceil": "⌈",
    "rceil": "⌉",
    "infty": "∞",
    "to": "→",
    "cos": "cos",
    "sin": "sin",
    "exp": "exp",
    "log": "log",
    "ln": "ln",
    "min": "min",
    "max": "max",
    "left": "",
    "right": "",
    "qquad": "\x00\x00\x00\x00",
    "quad": "\x00\x00",
}


_FUNCTIONS = ("cos", "sin", "exp", "log", "ln")


def _group(s: str, i: int) -> tuple[str, int]:
    """The argument starting at ``s[i]``: a ``{...}`` group (braces matched) or one character."""
    while i < len(s) and s[i] == " ":
        i += 1
    if i >= len(s):
        return "", i
    if s[i] != "{":
        if s[i] == "\\":
            m = re.match(r"\\[A-Za-z]+", s[i:])
            if m:
                return m.group(0), i + m.end()
        return s[i], i + 1
    depth = 0
    for j in range(i, len(s)):
        depth += {"{": 1, "}": -1}.get(s[j], 0)
        if depth == 0:
            return s[i + 1 : j], j + 1
    return s[i + 1 :], len(s)


def _wrap(x: str) -> str:
    """``x`` in parentheses when it is a compound term."""
    x = x.strip()
    if re.fullmatch(r"[\w.]+|\(.*\)", x) and x.count("(") == x.count(")"):
        return x
    return f"({x})"


def latex_to_text(s: str) -> str:
    """One LaTeX expression (no ``cases``) as plain text."""
    out: list[str] = []
    i = 0
    while i < len(s):
        c = s[i]
        if c == "\\":
            m = re.match(r"\\([A-Za-z]+)", s[i:])
            if m is None:  # \, \; \! \\ and the like: spacing
                nxt = s[i + 1 : i + 2]
                out.append("" if nxt == "!" else " " if nxt in ",;: " else nxt)
                i += 2
                continue
            name = m.group(1)
            i += m.end()
            if name in ("frac", "tfrac", "dfrac"):
                a, i = _group(s, i)
                b, i = _group(s, i)
                out.append(f"{_wrap(latex_to_text(a))}/{_wrap(latex_to_text(b))}")
            elif name == "sqrt":
                a, i = _group(s, i)
                out.append(f"sqrt({latex_to_text(a)})")
            elif name in ("text", "mathrm", "operatorname", "mathit", "textrm"):
                a, i = _group(s, i)
                out.append(a)
            elif name in _FUNCTIONS:
                frac_at = re.match(r"\s*\\[td]?frac\b", s[i:])
                if frac_at:  # cos\frac{a}{b}: the whole fraction is the argument
                    j = i + frac_at.end()
                    a, j = _group(s, j)
                    b, j = _group(s, j)
                    frac = f"{_wrap(latex_to_text(a))}/{_wrap(latex_to_text(b))}"
                    out.append(f"{name}({frac})")
                    i = j
                else:
                    out.append(name + " ")
            else:
                out.append(_SYMBOLS.get(name, name))
        elif c in "^_":
            a, i = _group(s, i + 1)
            t = latex_to_text(a)
            out.append(c + (t if re.fullmatch(r"[\w.]+", t) else f"({t})"))
        elif c in "{}":
            i += 1
        else:
            out.append(c)
            i += 1
    text = re.sub(r"[ \t]+", " ", "".join(out)).strip()
    return re.sub(r" ?\x00+ ?", lambda m: " " * max(2, m.group(0).count("\x00")), text)


def _cases(body: str) -> list[str]:
    """``\\begin{cases} a & b \\\\ ... \\end{cases}`` body -> ``["a    if b", ...]``."""
    rows = [r.strip() for r in re.split(r"\\\\", body) if r.strip()]
    parts = [[latex_to_text(p) for p in r.split("&", 1)] for r in rows]
    width = max((len(p[0]) for p in parts), default=0)
    return [p[0].ljust(width) + (f"   if {p[1]}" if len(p) > 1 and p[1] else "") for p in parts]


def math_block(latex: str) -> list[str]:
    """A display-math block as plain-text lines (``cases`` become one line per case)."""
    flat = " ".join(line.strip() for line in latex.splitlines())
    lines: list[str] = []
    pos = 0
    for m in re.finditer(r"\\begin\{cases\}(.*?)\\end\{cases\}", flat):
        head = latex_to_text(flat[pos : m.start()]).lstrip(",. ")
        rows = _cases(m.group(1))
        pad = " " * (len(head) + 1)
        lines += [f"{head} {rows[0]}"] + [pad + r for r in rows[1:]]
        pos = m.end()
    tail = latex_to_text(flat[pos:]).lstrip(",. ")
    if tail:
        lines.append(tail)
    return lines


def _inline(text: str) -> str:
    text = re.sub(r":math:`([^`]*)`", lambda m: latex_to_text(m.group(1)), text)
    return text.replace("``", "").replace("**", "")


def rst_to_text(doc: str) -> str:
    """A docstring (reST with ``.. math::`` blocks and ``:math:`` roles) as plain text."""
    lines = doc.splitlines()
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        m = re.match(r"^(\s*)\.\. math::\s*(.*)$", line)
        if m is None:
            out.append(_inline(line))
            i += 1
            continue
        indent = m.group(1)
        body = [m.group(2)] if m.group(2).strip() else []
        i += 1
        while i < len(lines) and (not lines[i].strip() or lines[i].startswith(indent + " ")):
            body.append(lines[i])
            i += 1
        latex = "\n".join(body).strip()
        out += [indent + "    " + x for x in math_block(latex)]
        if i < len(lines):
            out.append("")
    return "\n".join(out)


__all__ = ["latex_to_text", "math_block", "rst_to_text"]
