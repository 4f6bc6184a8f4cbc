"""LaTeX math in a field (``$O(n \\log n)$``): a small tree, and its Unicode text.

Titles carry math: ``$x^2$``, ``$\\ell_1$``, ``$\\mathbb{R}^n$``, ``$\\frac12$``. A catalogue's text
outputs (Markdown, CSV, search, sort) show it as Unicode where Unicode has the characters
(x², ℓ₁, ℝⁿ, ½) and keep TeX's spacing around operators (``n \\log n`` is "n log n",
``a+b`` is "a + b"); a script Unicode cannot write stays readable as ``_ε`` or ``^(…)``.
The tree is plain data (tuples of strings) so that the page can draw it as MathML and the
cache can keep it:

- ``("i", text)`` an identifier, ``("n", text)`` a number, ``("t", text)`` text,
- ``("o", text, class)`` an operator of TeX's class ``rel``, ``bin``, ``large``, ``open``,
  ``close``, ``punct`` or ``ord``; ``("f", name)`` a function name such as log,
- ``("row", [nodes])``, ``("sup", base, script)``, ``("sub", base, script)``,
  ``("subsup", base, sub, sup)``, ``("frac", top, bottom)``, ``("sqrt", body)``,
  ``("root", body, index)``, ``("over", base, mark)`` (an accent), ``("space",)``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from typing import Any

Node = tuple[Any, ...]

# --- symbols ---------------------------------------------------------------------------------

_GREEK = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε",
    "zeta": "ζ", "eta": "η", "theta": "θ", "vartheta": "ϑ", "iota": "ι", "kappa": "κ",
    "varkappa": "ϰ", "lambda": "λ", "mu": "μ", "nu": "ν", "xi": "ξ", "omicron": "ο", "pi": "π",
    "varpi": "ϖ", "rho": "ρ", "varrho": "ϱ", "sigma": "σ", "varsigma": "ς", "tau": "τ",
    "upsilon": "υ", "phi": "φ", "varphi": "φ", "chi": "χ", "psi": "ψ", "omega": "ω",
    "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ", "Pi": "Π",
    "Sigma": "Σ", "Upsilon": "Υ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω", "varGamma": "Γ",
    "varDelta": "Δ", "varTheta": "Θ", "varLambda": "Λ", "varPi": "Π", "varSigma": "Σ",
    "varPhi": "Φ", "varPsi": "Ψ", "varOmega": "Ω", "digamma": "ϝ",
}  # fmt: skip

_ORDINARY = {
    "ell": "ℓ", "hbar": "ℏ", "imath": "ı", "jmath": "ȷ", "wp": "℘", "Re": "ℜ", "Im": "ℑ",
    "aleph": "ℵ", "beth": "ℶ", "infty": "∞", "partial": "∂", "nabla": "∇", "emptyset": "∅",
    "varnothing": "∅", "forall": "∀", "exists": "∃", "nexists": "∄", "neg": "¬", "lnot": "¬",
    "prime": "′", "top": "⊤", "bot": "⊥", "angle": "∠", "triangle": "△", "Box": "□",
    "ldots": "…", "dots": "…", "cdots": "⋯", "vdots": "⋮", "ddots": "⋱", "surd": "√",
    "flat": "♭", "sharp": "♯", "natural": "♮", "clubsuit": "♣", "diamondsuit": "♢",
    "heartsuit": "♡", "spadesuit": "♠", "dag": "†", "ddag": "‡", "S": "§", "P": "¶",
    "copyright": "©", "pounds": "£", "checkmark": "✓", "circledR": "®", "star": "⋆",
    "degree": "°", "backslash": "\\", "%": "%", "#": "#", "&": "&", "$": "$", "_": "_",
}  # fmt: skip

#: Symbols that are letters (identifiers), not operators.
_LETTERLIKE = frozenset({"ell", "hbar", "imath", "jmath", "wp", "Re", "Im", "aleph", "beth"})

_RELATIONS = {
    "leq": "≤", "le": "≤", "geq": "≥", "ge": "≥", "neq": "≠", "ne": "≠", "approx": "≈",
    "sim": "∼", "simeq": "≃", "cong": "≅", "equiv": "≡", "propto": "∝", "ll": "≪", "gg": "≫",
    "prec": "≺", "succ": "≻", "preceq": "⪯", "succeq": "⪰", "in": "∈", "notin": "∉",
    "ni": "∋", "subset": "⊂", "supset": "⊃", "subseteq": "⊆", "supseteq": "⊇",
    "subsetneq": "⊊", "supsetneq": "⊋", "sqsubseteq": "⊑", "sqsupseteq": "⊒", "mid": "∣",
    "parallel": "∥", "perp": "⊥", "models": "⊨", "vdash": "⊢", "dashv": "⊣", "to": "→",
    "rightarrow": "→", "leftarrow": "←", "gets": "←", "leftrightarrow": "↔",
    "Rightarrow": "⇒", "Leftarrow": "⇐", "Leftrightarrow": "⇔", "implies": "⟹",
    "iff": "⟺", "mapsto": "↦", "longrightarrow": "⟶", "longleftarrow": "⟵",
    "Longrightarrow": "⟹", "longmapsto": "⟼", "hookrightarrow": "↪", "hookleftarrow": "↩",
    "uparrow": "↑", "downarrow": "↓", "Uparrow": "⇑", "Downarrow": "⇓", "nearrow": "↗",
    "searrow": "↘", "leadsto": "⇝", "asymp": "≍", "doteq": "≐", "lesssim": "≲",
    "gtrsim": "≳", "leqslant": "⩽", "geqslant": "⩾", "triangleq": "≜", "coloneqq": "≔",
    "bowtie": "⋈", "smile": "⌣", "frown": "⌢", "nleq": "≰", "ngeq": "≱",
}  # fmt: skip

_BINARY = {
    "pm": "±", "mp": "∓", "times": "×", "div": "÷", "cdot": "⋅", "ast": "∗", "circ": "∘",
    "bullet": "∙", "cup": "∪", "cap": "∩", "wedge": "∧", "land": "∧", "vee": "∨", "lor": "∨",
    "oplus": "⊕", "ominus": "⊖", "otimes": "⊗", "oslash": "⊘", "odot": "⊙",
    "setminus": "∖", "sqcup": "⊔", "sqcap": "⊓", "uplus": "⊎", "diamond": "⋄",
    "bigtriangleup": "△", "bigtriangledown": "▽", "triangleleft": "◁",
    "triangleright": "▷", "dagger": "†", "ddagger": "‡", "wr": "≀", "amalg": "⨿",
    "bmod": "mod",
}  # fmt: skip

_LARGE = {
    "sum": "∑", "prod": "∏", "coprod": "∐", "int": "∫", "iint": "∬", "iiint": "∭",
    "oint": "∮", "bigcup": "⋃", "bigcap": "⋂", "bigvee": "⋁", "bigwedge": "⋀",
    "bigoplus": "⨁", "bigotimes": "⨂", "bigodot": "⨀", "biguplus": "⨄", "bigsqcup": "⨆",
}  # fmt: skip

_DELIMITERS = {
    "langle": ("⟨", "open"), "rangle": ("⟩", "close"), "lfloor": ("⌊", "open"),
    "rfloor": ("⌋", "close"), "lceil": ("⌈", "open"), "rceil": ("⌉", "close"),
    "{": ("{", "open"), "}": ("}", "close"), "lbrace": ("{", "open"),
    "rbrace": ("}", "close"), "vert": ("|", "ord"), "|": ("‖", "ord"), "Vert": ("‖", "ord"),
    "lvert": ("|", "open"), "rvert": ("|", "close"), "lVert": ("‖", "open"),
    "rVert": ("‖", "close"), "colon": (":", "punct"),
}  # fmt: skip

_FUNCTIONS = frozenset(
    "log ln lg exp sin cos tan cot sec csc sinh cosh tanh coth arcsin arccos arctan arg "
    "max min sup inf lim liminf limsup det dim ker hom deg gcd lcm Pr mod".split()
)

_ACCENTS = {
    "hat": "\u0302", "widehat": "\u0302", "check": "\u030c", "tilde": "\u0303",
    "widetilde": "\u0303", "acute": "\u0301", "grave": "\u0300", "dot": "\u0307",
    "ddot": "\u0308", "breve": "\u0306", "bar": "\u0304", "vec": "\u20d7",
    "overline": "\u0305", "mathring": "\u030a",
}  # fmt: skip

#: Spacing marks for MathML's <mover>, one per accent.
ACCENT_MARKS = {
    "\u0302": "^", "\u030c": "ˇ", "\u0303": "~", "\u0301": "´", "\u0300": "`",
    "\u0307": "˙", "\u0308": "¨", "\u0306": "˘", "\u0304": "¯", "\u20d7": "→",
    "\u0305": "‾", "\u030a": "˚",
}  # fmt: skip

_SPACES = {",": " ", ":": " ", ";": " ", " ": " ", "quad": " ", "qquad": " ", "enspace": " "}
_SPACES |= {"thinspace": " ", "medspace": " ", "thickspace": " ", "space": " "}
_IGNORED = frozenset(
    "left right big Big bigg Bigg bigl bigr Bigl Bigr biggl biggr Biggl Biggr middle "
    "displaystyle textstyle scriptstyle scriptscriptstyle limits nolimits nonumber "
    "notag relax ! / protect mathstrut strut".split()
)
#: Font commands taking an argument, and the alphabet each gives its letters.
_FONTS = {
    "mathbb": "double-struck", "mathbbm": "double-struck", "mathds": "double-struck",
    "mathcal": "script", "mathscr": "script", "mathfrak": "fraktur", "mathbf": "bold",
    "boldsymbol": "bold", "bm": "bold", "mathit": "", "mathsf": "sans-serif",
    "mathtt": "monospace", "mathrm": "upright", "mathup": "upright", "mathnormal": "",
    "operatorname": "function", "mathop": "function",
}  # fmt: skip
#: Old-style font switches, ``{\\cal T}``, to the end of their group.
_SWITCHES = {"cal": "script", "bf": "bold", "rm": "upright", "it": "", "sf": "sans-serif"}
_SWITCHES |= {"tt": "monospace", "mit": "", "Bbb": "double-struck", "frak": "fraktur"}
_TEXT = frozenset(
    "text mbox hbox textrm textit textbf textsf texttt textup textnormal textmd mathrm*"
    " emph intertext".split()
)

_OPERATOR_CHARACTERS = {
    "+": "bin", "-": "bin", "*": "bin", "/": "ord", "=": "rel", "<": "rel", ">": "rel",
    ":": "rel", "(": "open", "[": "open", ")": "close", "]": "close", ",": "punct",
    ";": "punct", "!": "close", "?": "close", "|": "ord", ".": "ord", "@": "ord",
    "&": "ord", "#": "ord", "%": "ord", '"': "ord",
}  # fmt: skip
_MINUS = "\u2212"

# --- Unicode scripts, alphabets and fractions ----------------------------------------------

_SUPERSCRIPTS = dict(
    zip(
        "0123456789+-\u2212=()abcdefghijklmnoprstuvwxyzABDEGHIJKLMNOPRTUVWαβγδεθιφχ′∗*",
        "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻⁼⁽⁾ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻᴬᴮᴰᴱᴳᴴᴵᴶᴷᴸᴹᴺᴼᴾᴿᵀᵁⱽᵂᵅᵝᵞᵟᵋᶿᶥᵠᵡ′**",
        strict=True,
    )
)
_SUPERSCRIPTS |= {"⊤": "ᵀ", "∘": "°", "†": "†", "‡": "‡", "ϵ": "ᵋ", "ϕ": "ᵠ"}
_SUBSCRIPTS = dict(
    zip(
        "0123456789+-\u2212=()aehijklmnoprstuvxβγρφχϕ",
        "₀₁₂₃₄₅₆₇₈₉₊₋₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓᵦᵧᵨᵩᵪᵩ",
        strict=True,
    )
)
_FRACTIONS = {
    ("1", "2"): "½", ("1", "3"): "⅓", ("2", "3"): "⅔", ("1", "4"): "¼", ("3", "4"): "¾",
    ("1", "5"): "⅕", ("2", "5"): "⅖", ("3", "5"): "⅗", ("4", "5"): "⅘", ("1", "6"): "⅙",
    ("5", "6"): "⅚", ("1", "7"): "⅐", ("1", "8"): "⅛", ("3", "8"): "⅜", ("5", "8"): "⅝",
    ("7", "8"): "⅞", ("1", "9"): "⅑", ("1", "10"): "⅒",
}  # fmt: skip

_STYLE_NAMES = {
    "double-struck": ("MATHEMATICAL DOUBLE-STRUCK", ("DOUBLE-STRUCK",)),
    "script": ("MATHEMATICAL SCRIPT", ("SCRIPT",)),
    "fraktur": ("MATHEMATICAL FRAKTUR", ("BLACK-LETTER",)),
    "bold": ("MATHEMATICAL BOLD", ()),
    "sans-serif": ("MATHEMATICAL SANS-SERIF", ()),
    "monospace": ("MATHEMATICAL MONOSPACE", ()),
}
_ALPHABETS: dict[str, dict[str, str]] = {}


def styled(text: str, style: str) -> str:
    """``text`` in a math alphabet (ℝ, 𝒪, 𝔤, 𝐱): letters and digits that have one."""
    if style in ("", "upright", "function"):
        return text
    table = _ALPHABETS.get(style)
    if table is None:
        table = _ALPHABETS[style] = _alphabet(style)
    return "".join(table.get(c, c) for c in text)


def _alphabet(style: str) -> dict[str, str]:
    prefix, fallbacks = _STYLE_NAMES[style]
    table = {}
    for char in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789":
        kind = "CAPITAL" if char.isupper() else "SMALL" if char.isalpha() else "DIGIT"
        word = {"0": "ZERO", "1": "ONE", "2": "TWO", "3": "THREE", "4": "FOUR", "5": "FIVE"}
        word |= {"6": "SIX", "7": "SEVEN", "8": "EIGHT", "9": "NINE"}
        letter = word.get(char, char.upper())
        for head in (prefix, *fallbacks):
            try:
                table[char] = unicodedata.lookup(f"{head} {kind} {letter}")
                break
            except KeyError:
                continue
        else:
            if (style, char) in (("script", "e"), ("script", "g"), ("script", "o")):
                table[char] = unicodedata.lookup(f"SCRIPT SMALL {letter}")
    return table


def script_text(text: str, superscript: bool) -> str | None:
    """``text`` in Unicode superscript or subscript characters, or None when one is missing."""
    table = _SUPERSCRIPTS if superscript else _SUBSCRIPTS
    converted = [table.get(c) for c in text]
    if not text or None in converted:
        return None
    return "".join(c for c in converted if c is not None)


# --- parsing ------------------------------------------------------------------------------------

#: Expands a macro the file defines: (name, source, position after the name) -> (body, end),
#: or None when it is not defined (or may not be expanded any more).
Expander = Callable[[str, str, int], tuple[str, int] | None]


class MathParser:
    """Reads TeX math source into a tree. ``text`` decodes the argument of ``\\text{…}`` and
    the like; ``expand`` expands the file's own macros; unknown macros are added to
    ``unknown``."""

    def __init__(self, text: Callable[[str], str], expand: Expander, unknown: set[str]) -> None:
        self.decode_text = text
        self.expand = expand
        self.unknown = unknown
        self.s = ""
        self.i = 0
        self.style = ""

    def parse(self, source: str) -> Node:
        self.s, self.i, self.style = source, 0, ""
        items = self.row(stop="")
        return ("row", items)

    def row(self, stop: str) -> list[Node]:
        items: list[Node] = []
        while self.i < len(self.s):
            c = self.s[self.i]
            if c == stop:
                break
            if c == "}":  # a stray closing brace
                self.i += 1
            elif c in "^_":
                self.i += 1
                self.attach(items, c, self.argument())
            elif c == "'":
                primes = ""
                while self.i < len(self.s) and self.s[self.i] == "'":
                    primes += "′"
                    self.i += 1
                self.attach(items, "^", ("o", primes, "ord"))
            else:
                items.extend(self.atom())
        return items

    def atom(self) -> list[Node]:
        """The next atom(s) of the source (none for white space and switches)."""
        s, i = self.s, self.i
        c = s[i]
        if c.isspace():
            self.i += 1
            return []
        if c == "{":
            return [self.group()]
        if c == "~":
            self.i += 1
            return [("space",)]
        if c == "\\":
            return self.command()
        if c.isdigit() or (c == "." and i + 1 < len(s) and s[i + 1].isdigit()):
            j = i
            while j < len(s) and (s[j].isdigit() or (s[j] == "." and j + 1 < len(s))):
                if s[j] == "." and not (j + 1 < len(s) and s[j + 1].isdigit()):
                    break
                j += 1
            self.i = j
            return [("n", styled(s[i:j], self.style))]
        self.i += 1
        if c.isalpha():
            if self.style == "upright":  # \rm GL: one upright name
                j = self.i
                while j < len(s) and s[j].isalpha():
                    j += 1
                self.i = j
                return [("i", s[i:j])]
            return [("i", styled(c, self.style))]
        if c == "-":
            return [("o", _MINUS, "bin")]
        if c == "$":
            return []
        return [("o", c, _OPERATOR_CHARACTERS.get(c, "ord"))]

    def group(self) -> Node:
        """A braced group, with any font switch inside it ended at its close."""
        self.i += 1
        style = self.style
        items = self.row(stop="}")
        self.style = style
        if self.i < len(self.s):
            self.i += 1
        return items[0] if len(items) == 1 else ("row", items)

    def argument(self) -> Node:
        """A macro's or a script's argument: a group, a command, or one character."""
        while self.i < len(self.s) and self.s[self.i].isspace():
            self.i += 1
        if self.i >= len(self.s):
            return ("row", [])
        c = self.s[self.i]
        if c == "{":
            return self.group()
        if c in "^_":  # a script of nothing (not TeX): empty
            return ("row", [])
        if c == "\\":
            found = self.command()
            while not found and self.i < len(self.s) and self.s[self.i] not in "}^_":
                found = self.atom()
            return found[0] if len(found) == 1 else ("row", found)
        if c.isdigit():
            self.i += 1
            return ("n", styled(c, self.style))
        found = self.atom()
        return found[0] if len(found) == 1 else ("row", found)

    def raw_argument(self) -> str:
        """A macro's argument as source text (a group's inside, or one character)."""
        s = self.s
        while self.i < len(s) and s[self.i].isspace():
            self.i += 1
        if self.i >= len(s):
            return ""
        if s[self.i] != "{":
            if s[self.i] == "\\":
                j = self.i + 1
                while j < len(s) and s[j].isalpha():
                    j += 1
                j = max(j, self.i + 2)
                text, self.i = s[self.i : j], j
                return text
            self.i += 1
            return s[self.i - 1]
        depth, j = 0, self.i
        while j < len(s):
            if s[j] == "\\":
                j += 2
                continue
            if s[j] == "{":
                depth += 1
            elif s[j] == "}":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        text = s[self.i + 1 : j]
        self.i = min(j + 1, len(s))
        return text

    def attach(self, items: list[Node], mark: str, script: Node) -> None:
        """Put a super- or subscript on the last atom (or on nothing, as in ``{}_E``)."""
        base = items.pop() if items else ("row", [])
        kind = base[0]
        if mark == "^" and kind == "sub":
            items.append(("subsup", base[1], base[2], script))
        elif mark == "_" and kind == "sup":
            items.append(("subsup", base[1], script, base[2]))
        elif mark == "^" and kind == "sup" and base[2][0] == "o" and "′" in base[2][1]:
            items.append(("sup", base[1], ("row", [base[2], script])))
        else:
            items.append(("sup" if mark == "^" else "sub", base, script))

    def command(self) -> list[Node]:
        s = self.s
        start = self.i
        j = start + 1
        while j < len(s) and s[j].isalpha():
            j += 1
        if j == start + 1:
            j = min(start + 2, len(s))
        name = s[start + 1 : j]
        self.i = j
        if name.isalpha():  # a control word eats the spaces after it
            while self.i < len(s) and s[self.i] in " \t\n":
                self.i += 1
        expanded = self.expand(name, s, self.i)
        if expanded is not None:
            body, end = expanded
            self.s = body + s[end:]
            self.i = 0
            return []
        return self.known(name)

    def known(self, name: str) -> list[Node]:
        if name in _GREEK:
            return [("i", _GREEK[name])]
        if name in _LETTERLIKE:
            return [("i", _ORDINARY[name])]
        if name in _ORDINARY:
            return [("o", _ORDINARY[name], "ord")]
        if name in _RELATIONS:
            return [("o", _RELATIONS[name], "rel")]
        if name in _BINARY:
            if name == "bmod":
                return [("f", "mod")]
            return [("o", _BINARY[name], "bin")]
        if name in _LARGE:
            return [("o", _LARGE[name], "large")]
        if name in _DELIMITERS:
            char, kind = _DELIMITERS[name]
            return [("o", char, kind)]
        if name in _FUNCTIONS:
            return [("f", name)]
        if name in _SPACES:
            return [("space",)]
        if name in _IGNORED or name in ("displaystyle", "nobreak"):
            return []
        if name in _SWITCHES:
            self.style = _SWITCHES[name]
            return []
        if name in _FONTS:
            return [self.font(_FONTS[name])]
        if name in _TEXT or name.startswith("text"):
            return [("t", self.decode_text(self.raw_argument()))]
        if name in _ACCENTS:
            return [("over", self.argument(), _ACCENTS[name])]
        if name in ("frac", "dfrac", "tfrac", "cfrac"):
            top = self.argument()
            return [("frac", top, self.argument())]
        if name == "binom":
            top = self.argument()
            bottom = self.argument()
            return [("o", "(", "open"), ("frac", top, bottom), ("o", ")", "close")]
        if name == "sqrt":
            return [self.root()]
        if name == "not":
            following = self.atom() if self.i < len(self.s) else []
            if following and following[0][0] == "o":
                char = unicodedata.normalize("NFC", following[0][1] + "\u0338")
                return [("o", char, following[0][2])]
            return [("o", "\u0338", "ord"), *following]
        if name in ("pmod", "pod"):
            body = self.argument()
            return [("o", "(", "open"), ("f", "mod"), body, ("o", ")", "close")]
        if name in ("underline", "underbrace", "overbrace", "phantom", "hphantom", "vphantom"):
            body = self.argument()
            return [] if "phantom" in name else [body]
        if name in ("stackrel", "overset"):
            over = self.argument()
            return [("sup", self.argument(), over)]
        if len(name) == 1 and not name.isalpha():  # \{ \} \% \# \& \$ \_
            return [("o", name, "ord")]
        self.unknown.add("\\" + name)
        if self.i < len(self.s) and self.s[self.i] == "{":
            return [self.group()]
        return [("i", name)]

    def font(self, style: str) -> Node:
        """A font command's argument in its alphabet (``\\mathbb{R}`` is ℝ)."""
        saved = self.style
        self.style = style
        if style in ("upright", "function"):
            text = self.decode_text(self.raw_argument())
            self.style = saved
            return ("f", text) if style == "function" else ("i", text)
        body = self.argument()
        self.style = saved
        return body

    def root(self) -> Node:
        """``\\sqrt{x}`` or ``\\sqrt[n]{x}``."""
        while self.i < len(self.s) and self.s[self.i].isspace():
            self.i += 1
        if self.i < len(self.s) and self.s[self.i] == "[":
            close = self.s.find("]", self.i)
            if close > 0:
                index = self.s[self.i + 1 : close]
                self.i = close + 1
                inner = MathParser(self.decode_text, self.expand, self.unknown)
                return ("root", self.argument(), inner.parse(index))
        return ("sqrt", self.argument())


# --- text ---------------------------------------------------------------------------------------

_SPACED = ("bin", "rel")


def kind(node: Node) -> str:
    """TeX's class of a node, for spacing: ord, fn, large, bin, rel, open, close, punct."""
    tag = node[0]
    if tag == "o":
        return str(node[2])
    if tag == "f":
        return "fn"
    if tag in ("sup", "sub", "subsup"):
        return kind(node[1])
    if tag == "space":
        return "space"
    return "ord"


def to_text(node: Node, compact: bool = False) -> str:
    """The Unicode text of a math tree (``compact``: no spaces around operators, as in
    scripts)."""
    tag = node[0]
    if tag in ("i", "n", "t"):
        return str(node[1])
    if tag == "o":
        return str(node[1])
    if tag == "f":
        return str(node[1])
    if tag == "space":
        return " "
    if tag == "row":
        return _row_text(node[1], compact)
    if tag == "sup":
        return to_text(node[1], compact) + _script(node[2], True)
    if tag == "sub":
        return to_text(node[1], compact) + _script(node[2], False)
    if tag == "subsup":
        return to_text(node[1], compact) + _script(node[2], False) + _script(node[3], True)
    if tag == "frac":
        return _fraction(node[1], node[2])
    if tag == "sqrt":
        return "√" + _wrapped(node[1])
    if tag == "root":
        index = to_text(node[2], True)
        if index in ("3", "4"):
            return ("∛" if index == "3" else "∜") + _wrapped(node[1])
        return (script_text(index, True) or index) + "√" + _wrapped(node[1])
    if tag == "over":
        body = to_text(node[1], compact)
        if not body:
            return ACCENT_MARKS.get(node[2], "")
        if node[2] == "\u0305":  # \overline: over every character
            return unicodedata.normalize("NFC", "".join(c + "\u0305" for c in body))
        return unicodedata.normalize("NFC", body[0] + node[2]) + body[1:]
    return ""


def _row_text(items: Sequence[Node], compact: bool) -> str:
    kinds = [kind(n) for n in items]
    # A binary operator with nothing to its left (or after another operator) is unary.
    for k, current in enumerate(kinds):
        if current == "bin":
            before = next((kinds[m] for m in range(k - 1, -1, -1) if kinds[m] != "space"), None)
            after = kinds[k + 1] if k + 1 < len(kinds) else None
            if before in (None, "bin", "rel", "open", "punct", "large") or after in (
                None,
                "rel",
                "close",
                "punct",
            ):
                kinds[k] = "ord"
    out: list[str] = []
    previous = None
    for node, current in zip(items, kinds, strict=True):
        text = to_text(node, compact)
        if not text:
            continue
        if out and not compact and _space_between(previous, current):
            out.append(" ")
        out.append(text)
        previous = current
    return " ".join("".join(out).split(" ")) if not compact else "".join(out)


def _space_between(left: str | None, right: str) -> bool:
    """Whether TeX would put space between atoms of these classes (in text style)."""
    if left is None or left == "space" or right == "space":
        return False
    if right in _SPACED:
        return True
    if left in _SPACED:
        return right not in ("close", "punct")
    if left == "punct":
        return True
    if left == "fn":
        return right in ("ord", "fn", "large")
    if right == "fn":
        return left in ("ord", "close", "fn")
    if left == "large":
        return right in ("ord", "fn")
    return False


def _script(node: Node, superscript: bool) -> str:
    text = to_text(node, compact=True)
    converted = script_text(text, superscript)
    if converted is not None:
        return converted
    mark = "^" if superscript else "_"
    if text in ("′", "″", "‴", "*", "∗", "†", "‡", "°"):
        return text
    return mark + text if len(text) == 1 and text not in "{}" else f"{mark}({text})"


def _fraction(top: Node, bottom: Node) -> str:
    a, b = to_text(top), to_text(bottom)
    vulgar = _FRACTIONS.get((a, b))
    if vulgar:
        return vulgar
    return f"{_wrapped(top)}/{_wrapped(bottom)}"


def _wrapped(node: Node) -> str:
    """A node's text, in parentheses unless it is one atom."""
    text = to_text(node)
    simple = node[0] in ("i", "n", "t", "f") or (node[0] == "o" and node[2] == "ord")
    simple = simple or node[0] in ("sup", "sub", "subsup", "sqrt", "over")
    if simple or (len(text) == 1):
        return text
    if text.startswith("(") and text.endswith(")"):
        return text
    return f"({text})"


#: Each kind of node and how many items follow its tag: text, or child nodes.
_TEXT_NODES = {"i": 1, "n": 1, "t": 1, "f": 1}
_CHILD_NODES = {"sup": 2, "sub": 2, "subsup": 3, "frac": 2, "sqrt": 1, "root": 2}


def is_tree(node: Any, depth: int = 0) -> bool:
    """Whether ``node`` (as JSON keeps it: lists) has the shape of a math tree, so that a
    value read back from the cache can be drawn without surprise."""
    if not isinstance(node, list | tuple) or not node or depth > 200:
        return False
    tag, rest = node[0], node[1:]
    if tag in _TEXT_NODES:
        return len(rest) == 1 and isinstance(rest[0], str)
    if tag == "o":
        return len(rest) == 2 and isinstance(rest[0], str) and isinstance(rest[1], str)
    if tag == "space":
        return not rest
    if tag == "row":
        return (
            len(rest) == 1
            and isinstance(rest[0], list | tuple)
            and all(is_tree(n, depth + 1) for n in rest[0])
        )
    if tag == "over":
        return len(rest) == 2 and is_tree(rest[0], depth + 1) and isinstance(rest[1], str)
    if tag in _CHILD_NODES:
        return len(rest) == _CHILD_NODES[tag] and all(is_tree(n, depth + 1) for n in rest)
    return False
