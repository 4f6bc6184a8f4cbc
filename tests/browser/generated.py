"""A generated catalogue of thousands of papers, the same every run, for the page tests."""

from __future__ import annotations

import random
from dataclasses import dataclass

PAPERS = 5000
TOPICS = ("pruning", "distillation", "quantization", "architecture", "hardware", "theory")
WORDS = (
    "sparse efficient neural network learning deep compact fast low-rank mobile training "
    "inference tensor graph attention model compression energy accurate robust"
).split()
NAMES = ("Łukasz Nowak", "Zoë Müller", "Ann Smith", "José García", "Wei Zhang", "Søren Kierkegaard")


@dataclass(frozen=True)
class Paper:
    key: str
    year: int
    title: str
    authors: list[str]
    topics: list[str]


def synthetic_bib(count: int) -> tuple[str, list[Paper]]:
    """A .bib of ``count`` papers, and what each holds; the same every run."""
    pick = random.Random(20240521)
    entries, papers = [], []
    for n in range(count):
        year = pick.randint(1970, 2024)
        title = " ".join(pick.sample(WORDS, 5)).capitalize() + f" {n}"
        authors = pick.sample(NAMES, pick.randint(1, 3))
        topics = pick.sample(TOPICS, pick.randint(0, 2))
        papers.append(Paper(f"p{n:04d}", year, title, authors, topics))
        entries.append(
            f"@inproceedings{{p{n:04d},\n"
            f"  author = {{{' and '.join(authors)}}},\n"
            f"  title = {{{title}}},\n"
            f"  booktitle = {{Proceedings {pick.choice('ABCDEFGH')}}},\n"
            f"  year = {year},\n"
            f"  url = {{https://example.org/p{n}}},\n"
            f"  keywords = {{{', '.join(topics)}}}\n}}\n"
        )
    return "\n".join(entries), papers
