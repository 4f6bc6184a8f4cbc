"""LaTeX to Unicode for the fields a catalogue shows (never for URLs, DOIs, files or keys).

A small, single-pass decoder rather than pylatexenc: it is fast, knows BibTeX's habits
(``{\\"o}``, ``\\"{o}``, ``{\\'\\i}``, case-protecting braces, ``--``), and never lets text vanish:
an unknown macro keeps its argument, or its own name, and is reported by the caller.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from bib2table.bibtex.addresses import unescape_url
from bib2table.bibtex.formula import MathParser, Node, script_text, to_text
from bib2table.bibtex.journals import JOURNALS

# Accent macros and the combining character each puts on its argument's first letter.
_ACCENTS = {
    "'": "\u0301",
    "`": "\u0300",
    "^": "\u0302",
    '"': "\u0308",
    "~": "\u0303",
    "=": "\u0304",
    ".": "\u0307",
    "u": "\u0306",
    "v": "\u030c",
    "H": "\u030b",
    "c": "\u0327",
    "d": "\u0323",
    "b": "\u0331",
    "k": "\u0328",
    "r": "\u030a",
    "t": "\u0361",
    # the same accents in math
    "bar": "\u0304",
    "hat": "\u0302",
    "tilde": "\u0303",
    "dot": "\u0307",
    "ddot": "\u0308",
    "check": "\u030c",
    "breve": "\u0306",
    "acute": "\u0301",
    "grave": "\u0300",
    "vec": "\u20d7",
    "widehat": "\u0302",
    "widetilde": "\u0303",
}

# An accent with nothing under it (``\\'{}``) shows as the accent itself.
_SPACING_ACCENTS = {"'": "´", "`": "`", "^": "^", '"': "¨", "~": "~", "=": "¯", ".": "˙"}

# Macros without an argument that stand for text.
_SYMBOLS = {
    "L": "Ł",
    "l": "ł",
    "o": "ø",
    "O": "Ø",
    "ss": "ß",
    "SS": "SS",
    "ae": "æ",
    "AE": "Æ",
    "oe": "œ",
    "OE": "Œ",
    "aa": "å",
    "AA": "Å",
    "i": "ı",
    "j": "ȷ",
    "dh": "ð",
    "DH": "Ð",
    "th": "þ",
    "TH": "Þ",
    "dj": "đ",
    "DJ": "Đ",
    "ng": "ŋ",
    "NG": "Ŋ",
    "&": "&",
    "%": "%",
    "$": "$",
    "#": "#",
    "_": "_",
    "{": "{",
    "}": "}",
    " ": " ",
    ",": " ",
    ";": " ",
    ":": " ",
    "!": "",
    "-": "",
    "/": "",
    "@": "",
    "\\": " ",
    "quad": " ",
    "qquad": " ",
    "enspace": " ",
    "thinspace": " ",
    "space": " ",
    "ldots": "…",
    "dots": "…",
    "cdots": "⋯",
    "textellipsis": "…",
    "textendash": "–",
    "textemdash": "—",
    "textquoteleft": "‘",
    "textquoteright": "’",
    "lq": "‘",
    "rq": "’",
    "textquotedblleft": "“",
    "textquotedblright": "”",
    "guillemotleft": "«",
    "guillemotright": "»",
    "flqq": "«",
    "frqq": "»",
    "copyright": "©",
    "textcopyright": "©",
    "textregistered": "®",
    "texttrademark": "™",
    "S": "§",
    "P": "¶",
    "dag": "†",
    "ddag": "‡",
    "pounds": "£",
    "euro": "€",
    "textdegree": "°",
    "textless": "<",
    "textgreater": ">",
    "textbackslash": "\\",
    "textasciitilde": "~",
    "textasciicircum": "^",
    "textbar": "|",
    "textbullet": "•",
    "textperiodcentered": "·",
    "textunderscore": "_",
    "slash": "/",
    "textsterling": "£",
    "TeX": "TeX",
    "LaTeX": "LaTeX",
    "LaTeXe": "LaTeX2ε",
    "BibTeX": "BibTeX",
    "AmSTeX": "AMS-TeX",
    "AmS": "AMS",
    "AMS": "AMS",
    "AmSLaTeX": "AMS-LaTeX",
    "ConTeXt": "ConTeXt",
    "XeTeX": "XeTeX",
    "XeLaTeX": "XeLaTeX",
    "LuaTeX": "LuaTeX",
    "LuaLaTeX": "LuaLaTeX",
    "pdfTeX": "pdfTeX",
    "pdfLaTeX": "pdfLaTeX",
    "METAFONT": "METAFONT",
    "MF": "METAFONT",
    "MP": "MetaPost",
    "SliTeX": "SliTeX",
    "PiCTeX": "PiCTeX",
    "eTeX": "ε-TeX",
    "ExTeX": "ExTeX",
    "LAMSTeX": "LAMS-TeX",
    "alpha": "α",
    "beta": "β",
    "gamma": "γ",
    "delta": "δ",
    "epsilon": "ε",
    "varepsilon": "ε",
    "zeta": "ζ",
    "eta": "η",
    "theta": "θ",
    "vartheta": "ϑ",
    "iota": "ι",
    "kappa": "κ",
    "lambda": "λ",
    "mu": "μ",
    "nu": "ν",
    "xi": "ξ",
    "pi": "π",
    "varpi": "ϖ",
    "rho": "ρ",
    "sigma": "σ",
    "varsigma": "ς",
    "tau": "τ",
    "upsilon": "υ",
    "phi": "φ",
    "varphi": "φ",
    "chi": "χ",
    "psi": "ψ",
    "omega": "ω",
    "Gamma": "Γ",
    "Delta": "Δ",
    "Theta": "Θ",
    "Lambda": "Λ",
    "Xi": "Ξ",
    "Pi": "Π",
    "Sigma": "Σ",
    "Upsilon": "Υ",
    "Phi": "Φ",
    "Psi": "Ψ",
    "Omega": "Ω",
    "times": "×",
    "cdot": "·",
    "pm": "±",
    "mp": "∓",
    "leq": "≤",
    "le": "≤",
    "geq": "≥",
    "ge": "≥",
    "neq": "≠",
    "ne": "≠",
    "approx": "≈",
    "sim": "∼",
    "equiv": "≡",
    "infty": "∞",
    "rightarrow": "→",
    "to": "→",
    "leftarrow": "←",
    "Rightarrow": "⇒",
    "leftrightarrow": "↔",
    "ell": "ℓ",
    "partial": "∂",
    "nabla": "∇",
    "sum": "∑",
    "prod": "∏",
    "int": "∫",
    "in": "∈",
    "subset": "⊂",
    "subseteq": "⊆",
    "cup": "∪",
    "cap": "∩",
    "forall": "∀",
    "exists": "∃",
    "neg": "¬",
    "wedge": "∧",
    "vee": "∨",
    "circ": "∘",
    "log": "log",
    "ln": "ln",
    "exp": "exp",
    "sin": "sin",
    "cos": "cos",
    "max": "max",
    "min": "min",
    "lim": "lim",
    "deg": "deg",
    "det": "det",
    "langle": "⟨",
    "rangle": "⟩",
    "lbrace": "{",
    "rbrace": "}",
    "backslash": "\\",
    "star": "⋆",
    "ast": "∗",
    "prime": "′",
    "mid": "|",
    "vert": "|",
    "colon": ":",
}

# Logos and names whose macro name is not how they are written.
_SYMBOLS.update(
    {
        "TUB": "TUGboat",
        "AllTeX": "(La)TeX",
        "TeXLive": "TeX Live",
        "AMSTeX": "AMS-TeX",
        "AMSLaTeX": "AMS-LaTeX",
        "CONTEXT": "ConTeXt",
        "MacOSX": "Mac OS X",
        "OMEGA": "Omega",
        "eOmega": "e-Omega",
        "Dash": "—",
        "Thanh": "Hàn Thế Thành",
        "textasciigrave": "`",
        "textquotedbl": '"',
        "textdollar": "$",
        "textbraceleft": "{",
        "textbraceright": "}",
        "ae": "æ",
        "o": "ø",
        "aleph": "ℵ",
        "hookrightarrow": "↪",
    }
)

# Spacing macros followed by a dimension, both dropped: \kern-.1em, \hskip 2pt.
_DIMENSION = frozenset({"kern", "hskip", "vskip", "mkern", "mskip", "raise", "lower", "hspace*"})
_DIMENSION_VALUE = re.compile(
    r"\s*[-+]?\s*(?:\d+\.?\d*|\.\d+)\s*(?:em|ex|pt|pc|in|cm|mm|bp|dd|cc|sp|mu)"
    r"(?:\s*plus\s*[-+]?\s*[\d.]+\s*\w+)?(?:\s*minus\s*[-+]?\s*[\d.]+\s*\w+)?"
)

# Macros whose argument is space or an instruction, not text.
_DROP_ARGUMENT = frozenset(
    {"hspace", "vspace", "phantom", "hphantom", "vphantom", "label", "index"}
)

# Macros whose (single) argument is the text to keep.
_KEEP_ARGUMENT = frozenset(
    [
        "rlap",
        "llap",
        "smash",
        "acro",
        "pkg",
        "file",
        "emph",
        "textbf",
        "textit",
        "texttt",
        "textsc",
        "textrm",
        "textsf",
        "textsl",
        "textup",
        "textmd",
        "textnormal",
        "mbox",
        "hbox",
        "text",
        "mathrm",
        "mathbf",
        "mathit",
        "mathsf",
        "mathtt",
        "mathcal",
        "mathbb",
        "mathfrak",
        "boldsymbol",
        "underline",
        "overline",
        "operatorname",
        "acronym",
        "NoCaseChange",
        "textcolor",
        "noopsort",
        "protect",
    ]
)

# Macros whose argument is kept verbatim, without decoding (it is usually a URL or a path).
_VERBATIM_ARGUMENT = frozenset({"url", "path", "nolinkurl", "doi", "verb"})

# Declarations that change fonts or sizes: they stand for no text.
_SWITCHES = frozenset(
    [
        "em",
        "it",
        "bf",
        "sc",
        "rm",
        "tt",
        "sf",
        "sl",
        "up",
        "md",
        "normalfont",
        "itshape",
        "bfseries",
        "scshape",
        "rmfamily",
        "ttfamily",
        "sffamily",
        "slshape",
        "upshape",
        "mdseries",
        "upshape",
        "tiny",
        "scriptsize",
        "footnotesize",
        "small",
        "normalsize",
        "large",
        "Large",
        "LARGE",
        "huge",
        "Huge",
        "relax",
        "displaystyle",
        "textstyle",
        "scriptstyle",
        "left",
        "right",
        "big",
        "Big",
        "bigl",
        "bigr",
        "Bigl",
        "Bigr",
        "null",
        "unskip",
        "hfill",
        "hfil",
        "break",
        "linebreak",
        "newline",
        "nobreak",
        "allowbreak",
        "sloppy",
        "noindent",
        "par",
    ]
)

_SPECIAL = re.compile(r"[\\{}~$`'\-\s]")
_NEEDS_DECODING = re.compile(r"[\\{}~$`]|--|''")
_CONTROL_WORD = re.compile(r"[A-Za-z]+")
_SPACES = re.compile(r"\s+")
_MACRO = re.compile(r"\\([A-Za-z]+|.)")
_MAX_DEPTH = 64
# Where a math span stands in the text while the text is decoded: U+FFFF, its number, U+FFFE
# (two noncharacters, removed from any input first).
_MARK, _MARK_END = "\uffff", "\ufffe"
_MARKED = re.compile("\uffff(\\d+)\ufffe")

#: Characters of macro expansion (of the file's own ``@preamble`` macros) allowed for one entry,
#: and for a whole file: a macro that doubles itself stops there and is reported. Every
#: expansion counts as at least :data:`EXPANSION_COST` characters, so that a macro expanding
#: to nothing is bounded too.
ENTRY_EXPANSION = 100_000
FILE_EXPANSION = 2_000_000
EXPANSION_COST = 16


class FileBudget:
    """What is left of a file's expansion budget (shared by the budgets of its entries)."""

    __slots__ = ("left",)

    def __init__(self, left: int = FILE_EXPANSION) -> None:
        self.left = left


class Budget:
    """What is left of one entry's expansion budget, and the macros stopped for want of it."""

    __slots__ = ("file", "left", "stopped")

    def __init__(self, file: FileBudget | None = None, left: int = ENTRY_EXPANSION) -> None:
        self.file = file if file is not None else FileBudget()
        self.left = left
        self.stopped: set[str] = set()

    def spend(self, name: str, size: int) -> bool:
        """Whether ``name`` may expand into ``size`` more characters; if not, it is noted."""
        cost = max(size, EXPANSION_COST)
        if cost <= self.left and cost <= self.file.left:
            self.left -= cost
            self.file.left -= cost
            return True
        self.stopped.add("\\" + name)
        return False


@dataclass(frozen=True)
class Decoded:
    """Decoded text, the names of the macros the decoder did not know, and, when the text
    holds math, its pieces: text and math trees (see :mod:`bib2table.bibtex.formula`) in
    order, whose texts make ``text``."""

    text: str
    unknown: frozenset[str] = frozenset()
    math: tuple[str | Node, ...] | None = field(default=None, compare=False)


def decode(
    source: str,
    defined: Mapping[str, Definition] | None = None,
    budget: Budget | None = None,
) -> Decoded:
    """Turn a BibTeX field value into display text, whitespace folded.

    ``defined`` holds macros the file itself defines in ``@preamble`` (see :func:`definitions`);
    their expansion spends ``budget``. Math (``$…$``, ``\\(…\\)``, ``\\ensuremath``) becomes
    Unicode text, and its tree is kept in :attr:`Decoded.math`.
    """
    if not _NEEDS_DECODING.search(source):
        return Decoded(" ".join(source.split()))
    if _MARK in source or _MARK_END in source:
        source = source.replace(_MARK, "").replace(_MARK_END, "")
    unknown: set[str] = set()
    maths: list[Node] = []
    decoder = _Decoder(source, unknown, defined or {}, budget or Budget(), maths)
    text = _SPACES.sub(" ", decoder.run(0, len(source), 0)).strip()
    if not maths:
        return Decoded(text, frozenset(unknown))
    pieces: list[str | Node] = []
    plain: list[str] = []
    pos = 0
    for match in _MARKED.finditer(text):
        before = text[pos : match.start()]
        tree = maths[int(match.group(1))]
        pieces += [before, tree] if before else [tree]
        plain += [before, to_text(tree)]
        pos = match.end()
    if text[pos:]:
        pieces.append(text[pos:])
        plain.append(text[pos:])
    return Decoded("".join(plain), frozenset(unknown), tuple(pieces))


@dataclass(frozen=True)
class Definition:
    """A macro defined in the file's ``@preamble``: how many arguments, and its body."""

    arguments: int
    body: str


_DEFINITION = re.compile(
    r"\\(?:[gex]?def)\s*\\([A-Za-z]+)\s*((?:#\d\s*)*)\{"
    r"|\\(?:newcommand|renewcommand|providecommand|DeclareRobustCommand)\*?\s*"
    r"(?:\{\s*\\([A-Za-z]+)\s*\}|\\([A-Za-z]+))\s*(?:\[(\d)\])?\s*\{"
)


def definitions(preambles: Iterable[str]) -> dict[str, Definition]:
    """Macros defined with ``\\def`` or ``\\newcommand`` in ``@preamble`` blocks."""
    found: dict[str, Definition] = {}
    for preamble in preambles:
        for match in _DEFINITION.finditer(preamble):
            name = match.group(1) or match.group(3) or match.group(4)
            arguments = match.group(2).count("#") if match.group(1) else int(match.group(5) or 0)
            close = _matching(preamble, match.end() - 1, len(preamble))
            found[name] = Definition(arguments, preamble[match.end() : close])
    return found


def strip_braces(source: str) -> str:
    """Remove grouping braces only, for values that must not be decoded (keys, macros)."""
    return source.replace("{", "").replace("}", "")


class _Decoder:
    """One pass over ``source[start:end]``; arguments of macros are decoded recursively."""

    def __init__(
        self,
        source: str,
        unknown: set[str],
        defined: Mapping[str, Definition],
        budget: Budget,
        maths: list[Node],
    ) -> None:
        self.s = source
        self.unknown = unknown
        self.defined = defined
        self.budget = budget
        self.maths = maths

    def nested(self, source: str) -> _Decoder:
        """A decoder for other source (a macro's body) sharing this one's findings."""
        return _Decoder(source, self.unknown, self.defined, self.budget, self.maths)

    def run(self, start: int, end: int, depth: int) -> str:
        s, out, i = self.s, [], start
        while i < end:
            match = _SPECIAL.search(s, i, end)
            if match is None:
                out.append(s[i:end])
                break
            j = match.start()
            out.append(s[i:j])
            ch = s[j]
            if ch == "\\":
                text, i = self.command(j, end, depth)
                out.append(text)
            elif ch == "$":
                text, i = self.math_span(j, end, depth)
                out.append(text)
            elif ch in "{}":
                i = j + 1
            elif ch == "~":
                out.append(" ")
                i = j + 1
            elif ch == "-":
                if s.startswith("---", j) and j + 3 <= end:
                    out.append("—")
                    i = j + 3
                elif s.startswith("--", j) and j + 2 <= end:
                    out.append("–")
                    i = j + 2
                else:
                    out.append("-")
                    i = j + 1
            elif ch == "`":
                double = s.startswith("``", j) and j + 2 <= end
                out.append("“" if double else "‘")
                i = j + (2 if double else 1)
            elif ch == "'":
                double = s.startswith("''", j) and j + 2 <= end
                out.append("”" if double else "'")
                i = j + (2 if double else 1)
            else:  # whitespace
                out.append(" ")
                i = j + 1
        return "".join(out)

    def command(self, at: int, end: int, depth: int) -> tuple[str, int]:
        """Decode the macro starting at ``at`` (a backslash); return its text and where to go on."""
        s = self.s
        if at + 1 >= end:
            return "\\", end
        word = _CONTROL_WORD.match(s, at + 1, end)
        if word is None:
            name, i = s[at + 1], at + 2
        else:
            name, i = word.group(), word.end()
            while i < end and s[i] in " \t\n":
                i += 1
            if i < end and s[i] == "*":
                i += 1
        if name in self.defined:
            return self.expand(name, self.defined[name], i, end, depth)
        if name.isspace():
            return " ", i
        if name in _ACCENTS:
            arg_start, arg_end, i = self.argument(i, end)
            return self.accent(name, self.run(arg_start, arg_end, depth + 1), arg_start), i
        if name in _SYMBOLS:
            return _SYMBOLS[name], i
        if name in _SWITCHES:
            return "", i
        if name in ("verb", "path") and i < end and not s[i].isalpha() and s[i] != "{":
            close = s.find(s[i], i + 1, end)
            close = end if close < 0 else close
            return s[i + 1 : close], min(close + 1, end)
        if name in _VERBATIM_ARGUMENT:
            arg_start, arg_end, i = self.argument(i, end)
            return unescape_url(s[arg_start:arg_end]), i
        if name in ("(", "["):
            close = s.find("\\)" if name == "(" else "\\]", i, end)
            if close >= 0:
                return self.math(s[i:close], depth), close + 2
            return "", i
        if name in (")", "]"):
            return "", i
        if name == "ensuremath":
            arg_start, arg_end, i = self.argument(i, end)
            return self.math(s[arg_start:arg_end], depth), i
        if name in ("textsuperscript", "textsubscript"):
            text, i = self.decoded_argument(i, end, depth)
            return script_text(text, name == "textsuperscript") or text, i
        if name == "href":
            _, _, i = self.argument(i, end)
            return self.decoded_argument(i, end, depth)
        if name in _KEEP_ARGUMENT or name in ("uppercase", "MakeUppercase"):
            text, i = self.decoded_argument(i, end, depth)
            return (text.upper() if "ppercase" in name else text), i
        if name in ("lowercase", "MakeLowercase"):
            text, i = self.decoded_argument(i, end, depth)
            return text.lower(), i
        if name in ("frac", "dfrac", "tfrac"):
            top, i = self.decoded_argument(i, end, depth)
            bottom, i = self.decoded_argument(i, end, depth)
            return f"{top}/{bottom}", i
        if name in _DIMENSION:
            skip = _DIMENSION_VALUE.match(s, i, end)
            return " ", skip.end() if skip else i
        if name in _DROP_ARGUMENT:
            _, _, i = self.argument(i, end)
            return " ", i
        if name == "cs":
            text, i = self.decoded_argument(i, end, depth)
            return "\\" + text, i
        if name == "sqrt":
            text, i = self.decoded_argument(i, end, depth)
            return f"√{text}", i
        if name in JOURNALS:
            return JOURNALS[name], i
        return self.unknown_macro(name, at, i, end, depth)

    def substitute(self, definition: Definition, source: str, i: int, end: int) -> tuple[str, int]:
        """A defined macro's body with its arguments (read from ``source`` at ``i``) put in."""
        body = definition.body
        reader = self if source is self.s else self.nested(source)
        for n in range(1, definition.arguments + 1):
            arg_start, arg_end, i = reader.argument(i, end)
            body = body.replace(f"#{n}", source[arg_start:arg_end])
        return body, i

    def expand(
        self, name: str, definition: Definition, i: int, end: int, depth: int
    ) -> tuple[str, int]:
        """Expand a macro the file defines: substitute its arguments, decode the result. What
        the budget does not allow is shown as the macro's name."""
        body, i = self.substitute(definition, self.s, i, end)
        if not self.budget.spend(name, len(body)):
            return name, i
        if depth >= _MAX_DEPTH:
            return self.flat(body), i
        return self.nested(body).run(0, len(body), depth + 1), i

    def math_span(self, at: int, end: int, depth: int) -> tuple[str, int]:
        """``$…$`` or ``$$…$$`` at ``at``: its text (a mark for now), and where to go on. A
        ``$`` without its closing one is dropped."""
        s = self.s
        double = s.startswith("$$", at) and at + 2 <= end
        start = at + (2 if double else 1)
        close = _math_close(s, start, end)
        if close < 0:
            return "", start
        after = close + (2 if double and s.startswith("$$", close) else 1)
        return self.math(s[start:close], depth), min(after, end)

    def math(self, source: str, depth: int) -> str:
        """Parse a math span; it stands in the text as a mark until the text is done."""

        def text(inner: str) -> str:
            return self.nested(inner).run(0, len(inner), depth + 1)

        def expand(name: str, source: str, i: int) -> tuple[str, int] | None:
            definition = self.defined.get(name)
            if definition is None or depth >= _MAX_DEPTH:
                return None
            body, after = self.substitute(definition, source, i, len(source))
            # the source left to read is copied with the body: that is what it costs
            if not self.budget.spend(name, len(body) + len(source) - after):
                return None
            return body, after

        tree = MathParser(text, expand, self.unknown).parse(source)
        self.maths.append(tree)
        return f"{_MARK}{len(self.maths) - 1}{_MARK_END}"

    def unknown_macro(self, name: str, at: int, i: int, end: int, depth: int) -> tuple[str, int]:
        """Keep what an unknown macro would show: its braced argument, else its own name."""
        self.unknown.add("\\" + name)
        if i < end and self.s[i] == "{":
            return self.decoded_argument(i, end, depth)
        spaced = i > at + 1 + len(name)
        return name + (" " if spaced else ""), i

    def decoded_argument(self, i: int, end: int, depth: int) -> tuple[str, int]:
        """Decode the next argument (a group or a single character)."""
        arg_start, arg_end, i = self.argument(i, end)
        if depth >= _MAX_DEPTH:
            return self.flat(self.s[arg_start:arg_end]), i
        return self.run(arg_start, arg_end, depth + 1), i

    def flat(self, text: str) -> str:
        """Decode without nesting, for arguments nested too deep to follow: macros become
        their symbol, or their name when unknown, so text still does not vanish."""

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in _SYMBOLS:
                return _SYMBOLS[name]
            if name in _KEEP_ARGUMENT or name in _SWITCHES or name in _VERBATIM_ARGUMENT:
                return ""
            self.unknown.add("\\" + name)
            return name

        return strip_braces(_MACRO.sub(replace, text))

    def argument(self, i: int, end: int) -> tuple[int, int, int]:
        """Locate the next argument: ``(content start, content end, position after it)``."""
        s = self.s
        while i < end and s[i] in " \t\n":
            i += 1
        if i >= end:
            return i, i, i
        if s[i] == "{":
            close = _matching(s, i, end)
            return i + 1, close, min(close + 1, end)
        if s[i] == "\\":
            word = _CONTROL_WORD.match(s, i + 1, end)
            stop = word.end() if word else min(i + 2, end)
            return i, stop, stop
        return i, i + 1, i + 1

    @staticmethod
    def accent(name: str, text: str, _pos: int) -> str:
        """Put an accent on the first letter of ``text`` (dotless i and j take it as i and j)."""
        mark = _ACCENTS[name]
        if not text:
            return _SPACING_ACCENTS.get(name, name)
        if text[0] == _MARK:  # math under a text accent: left as it is
            return text
        base = {"ı": "i", "ȷ": "j"}.get(text[0], text[0])
        return unicodedata.normalize("NFC", base + mark) + text[1:]


_GROUPING = re.compile(r"\\.|[{}$]", re.DOTALL)


def _marks(s: str, start: int, end: int) -> Iterator[tuple[int, str, int]]:
    """The braces and dollars of ``s[start:end]`` outside escapes (``\\{``, ``\\$``): where
    each is, which it is, and the brace depth after it."""
    depth = 0
    for mark in _GROUPING.finditer(s, start, end):
        ch = mark.group()
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch != "$":
            continue
        yield mark.start(), ch, depth


def _math_close(s: str, start: int, end: int) -> int:
    """Index of the ``$`` closing math opened before ``start`` (outside braces opened inside
    it; else, when a brace inside is never closed, the next ``$``), or -1."""
    first = -1
    for at, ch, depth in _marks(s, start, end):
        if ch == "}" and depth < 0:
            return first
        if ch == "$":
            if depth == 0:
                return at
            first = at if first < 0 else first
    return first


def _matching(s: str, start: int, end: int) -> int:
    """Index of the brace closing ``s[start]``, or ``end`` when the group is not closed."""
    for at, ch, depth in _marks(s, start, end):
        if ch == "}" and depth == 0:
            return at
    return end
