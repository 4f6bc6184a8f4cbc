"""The stretch differ that the live preview and the kept outputs share, and the kept outputs'
digests of stretches: for any two texts, what they say is what comparing them whole says."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bib2table import snapshot
from bib2table.bibtex.blocks import stretches
from bib2table.catalogue.edits import diff

stretches_lists = st.lists(st.sampled_from("abcdefgh"), max_size=40)


@settings(max_examples=200)
@given(stretches_lists, stretches_lists)
def test_a_diff_turns_the_old_stretches_into_the_new(old: list[str], new: list[str]) -> None:
    change = diff(old, new)
    assert change is not None
    first, old_end, new_end = change.first, change.old_end, change.new_end
    assert old[:first] == new[:first] and old[old_end:] == new[new_end:]
    # Each new stretch in between is an old one (the same text, each used once) or read.
    used = [was for was in change.reused if was is not None]
    assert len(used) == len(set(used))
    for number, was in enumerate(change.reused, first):
        assert was is None or (first <= was < old_end and old[was] == new[number])
        assert change.old_of(number) == was
    assert sorted(change.gone + used) == list(range(first, old_end))
    # Those kept in place are in order; every other one is in a hunk.
    kept = [change.reused[n - first] for n in change.kept]
    assert kept == sorted(kept)
    hunks = change.hunks()
    in_hunks = {n for h in hunks for n in h.new}
    assert in_hunks | set(change.kept) == set(range(first, new_end))
    assert not in_hunks & set(change.kept)
    assert {n for h in hunks for n in h.old} == set(range(first, old_end)) - set(kept)
    # As many kept in place as can be: no longer run of reused stretches is in order.
    assert len(kept) == _longest_increasing([w for w in change.reused if w is not None])


def _longest_increasing(values: list[int]) -> int:
    best = [1] * len(values)
    for i in range(len(values)):
        for j in range(i):
            if values[j] < values[i]:
                best[i] = max(best[i], best[j] + 1)
    return max(best, default=0)


def test_a_diff_gives_up_past_its_limits() -> None:
    assert diff(list("abc"), list("xyz"), most_fresh=2) is None
    assert diff(list("abcdef"), list("axcdey"), most_window=8) is None
    assert diff(list("abcdef"), list("axcdey"), most_window=10) is not None


big = st.integers(1, 3 * snapshot.GROUP + 40)


@settings(max_examples=30, deadline=None)
@given(big, st.lists(st.tuples(st.sampled_from("aid"), big), max_size=4))
def test_stretch_digests_reused_from_the_last_text_are_the_digests(
    count: int, edits: list[tuple[str, int]]
) -> None:
    """Groups of stretches unchanged from the start or from the end keep their digests; the
    result is always each stretch's own digest."""
    old = [f"article{{k{n}, title = {{T {n}}}}}\n".encode() for n in range(count)]
    new = list(old)
    for kind, at in edits:
        at = at % (len(new) + 1)
        if kind == "a":
            new.insert(at, b"article{added, title = {New}}\n")
        elif kind == "i" and at < len(new):
            new[at] = new[at].replace(b"T ", b"Edited ")
        elif kind == "d" and at < len(new) - 1:
            del new[at]
    before, after = (snapshot._Cut(b"@" + b"\n@".join(parts)) for parts in (old, new))
    meta = {
        "pieces": snapshot._digests(before),
        "groups": list(snapshot._groups(before)),
        "back": list(snapshot._groups(before, True)),
    }
    digests = [snapshot._digest(b"@" * (n == 0) + part) for n, part in enumerate(new)]
    assert snapshot._digests(after, meta) == digests
    # Each stretch as the whole text's cuts give it.
    text = (b"@" + b"\n@".join(new)).decode()
    assert [after.piece(n) for n in range(len(after))] == stretches(text)
    assert [after.lines(n) for n in range(len(after))] == [p.count("\n") for p in stretches(text)]
