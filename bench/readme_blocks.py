"""The README's generated blocks: text between `<!-- NAME:begin -->` and `<!-- NAME:end -->`.

Each benchmark script writes its results file and the same text into its
block; tests/test_readme.py holds every block to its file, so the figures
the README quotes are the ones the scripts printed.
"""

from __future__ import annotations

from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def markers(name: str) -> tuple[str, str]:
    return f"<!-- {name}:begin -->", f"<!-- {name}:end -->"


def read_block(name: str, readme: Path = README) -> str:
    """The text of block ``name`` (stripped)."""
    begin, end = markers(name)
    text = readme.read_text()
    if begin not in text or end not in text:
        raise KeyError(f"{readme} has no block {name!r} ({begin} ... {end})")
    return text.split(begin, 1)[1].split(end, 1)[0].strip()


def write_block(name: str, content: str, readme: Path = README) -> None:
    """Replace the text of block ``name`` with ``content``."""
    begin, end = markers(name)
    text = readme.read_text()
    before, rest = text.split(begin, 1)
    _, after = rest.split(end, 1)
    readme.write_text(f"{before}{begin}\n{content.strip()}\n{end}{after}")
