"""Math in a cell as MathML Core, for the page (Chromium, Firefox and Safari draw it).

The model keeps a cell's math as a tree of plain data (see :mod:`bib2table.bibtex.formula`);
here the tree becomes markup, built element by element from a fixed set of MathML names with
every text node escaped: nothing from the ``.bib`` ever becomes markup. The cell's text form
(x², ℓ₁) stays what search, sort and copy use.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from markupsafe import Markup, escape

from bib2table.bibtex.formula import ACCENT_MARKS, to_text

#: The MathML elements and attributes the page may hold (MathML Core's presentation
#: elements, without ``annotation-xml``, ``maction`` or links).
ELEMENTS = frozenset(
    "math mrow mi mn mo mtext mspace ms msup msub msubsup mfrac msqrt mroot mover munder "
    "munderover mpadded mphantom mstyle merror semantics annotation mtable mtr mtd "
    "mmultiscripts mprescripts none".split()
)
ATTRIBUTES = frozenset(
    "display mathvariant accent accentunder width height depth lspace rspace stretchy "
    "symmetric largeop movablelimits form fence separator minsize maxsize linethickness "
    "scriptlevel displaystyle dir encoding class aria-label".split()
)

_THIN = '<mspace width="0.1667em"></mspace>'
_WORD = '<mspace width="0.3333em"></mspace>'


#: Every tag :func:`math` writes, its attribute values blanked (``""``), as the page check's
#: strict form of rows compares them: a row with only these (and HTML's plain tags) is safe.
ROW_SHAPES = frozenset(
    {'<math display="" aria-label="">', "<mrow>", "<mi>", "<mn>", "<mo>"}
    | {'<mo lspace="" rspace="">'}
    | {"<mtext>", "<msup>", "<msub>", "<msubsup>", "<mfrac>", "<msqrt>", "<mroot>"}
    | {'<mover accent="">', '<mspace width="">'}
    | {f"</{name}>" for name in "math mrow mi mn mo mtext msup msub msubsup mfrac".split()}
    | {f"</{name}>" for name in "msqrt mroot mover mspace".split()}
)


class HasCells(Protocol):
    """What :func:`cell_html` needs of an entry (a catalogue row has it)."""

    @property
    def cells(self) -> tuple[str, ...]: ...
    @property
    def math(self) -> tuple[Any, ...]: ...


def cell_html(entry: HasCells, index: int) -> Markup:
    """A cell as HTML: its text, escaped, with its math spans as MathML."""
    pieces = entry.math[index] if index < len(entry.math) else None
    if not pieces:
        return escape(entry.cells[index])
    return Markup("".join(str(escape(p)) if isinstance(p, str) else math(p) for p in pieces))


def math(tree: Sequence[Any]) -> str:
    """One math span as a ``<math>`` element, named by its text form (x², ℓ₁): browsers leave
    math out of the name of the link or cell around it, so a screen reader would skip it."""
    name = escape(to_text(tuple(tree)))
    return f'<math display="inline" aria-label="{name}">{_node(tree)}</math>'


def _node(node: Sequence[Any]) -> str:
    tag = node[0]
    if tag == "o" and node[2] in ("open", "close", "ord"):
        # TeX puts no space around brackets and ordinary symbols; MathML's dictionary may
        return f'<mo lspace="0" rspace="0">{escape(node[1])}</mo>'
    if tag in ("i", "n", "t", "o"):
        element = {"i": "mi", "n": "mn", "t": "mtext", "o": "mo"}[tag]
        return f"<{element}>{escape(node[1])}</{element}>"
    if tag == "f":
        return f"<mi>{escape(node[1])}</mi>"
    if tag == "space":
        return _WORD
    if tag == "row":
        return "<mrow>" + _row(node[1]) + "</mrow>"
    if tag in ("sup", "sub", "frac", "root"):
        element = {"sup": "msup", "sub": "msub", "frac": "mfrac", "root": "mroot"}[tag]
        return f"<{element}>{_node(node[1])}{_node(node[2])}</{element}>"
    if tag == "subsup":
        return f"<msubsup>{_node(node[1])}{_node(node[2])}{_node(node[3])}</msubsup>"
    if tag == "sqrt":
        return f"<msqrt>{_node(node[1])}</msqrt>"
    if tag == "over":
        mark = escape(ACCENT_MARKS.get(node[2], node[2]))
        return f'<mover accent="true">{_node(node[1])}<mo>{mark}</mo></mover>'
    return "<mrow></mrow>"


def _row(items: Sequence[Sequence[Any]]) -> str:
    """The items of a row; a function name gets TeX's thin space before and after a
    neighbouring atom (``n log n``), which MathML does not add by itself."""
    out: list[str] = []
    for number, item in enumerate(items):
        if number and _spaced(items[number - 1], item):
            out.append(_THIN)
        out.append(_node(item))
    return "".join(out)


def _atom(node: Sequence[Any]) -> str:
    tag = node[0]
    if tag == "f":
        return "fn"
    if tag in ("sup", "sub", "subsup"):
        return _atom(node[1])
    if tag == "o":
        return "ord" if node[2] in ("ord", "close") else "op"
    return "ord"


def _spaced(left: Sequence[Any], right: Sequence[Any]) -> bool:
    a, b = _atom(left), _atom(right)
    return (a == "fn" and b in ("ord", "fn")) or (b == "fn" and a == "ord")
