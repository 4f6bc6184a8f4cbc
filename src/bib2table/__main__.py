"""``python -m bib2table``: the same as the ``bib2table`` command."""

from bib2table.cli import main

if __name__ == "__main__":
    main(prog_name="bib2table")
