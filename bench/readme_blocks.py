"""The documents' generated blocks: text between `<!-- NAME:begin -->` and `<!-- NAME:end -->`.

Each benchmark script writes its results file and the same text into its
block, wherever the block is: the README's headline figures, the
benchmarks page (docs/benchmarks.md) or the reference (docs/reference.md).
tests/test_readme.py holds every block to its file, so every figure the
documents quote is one a script printed.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
#: Every document that may hold a generated block.
DOCUMENTS = (README, ROOT / "docs" / "benchmarks.md", ROOT / "docs" / "reference.md")


def markers(name: str) -> tuple[str, str]:
    return f"<!-- {name}:begin -->", f"<!-- {name}:end -->"


def document_of(name: str) -> Path:
    """The one document that holds block ``name``."""
    begin, end = markers(name)
    found = [path for path in DOCUMENTS if begin in path.read_text() and end in path.read_text()]
    if len(found) != 1:
        where = ", ".join(str(p.relative_to(ROOT)) for p in found) or "no document"
        raise KeyError(f"block {name!r} ({begin} ... {end}) is in {where}; expected exactly one")
    return found[0]


def read_block(name: str) -> str:
    """The text of block ``name`` (stripped)."""
    begin, end = markers(name)
    text = document_of(name).read_text()
    return text.split(begin, 1)[1].split(end, 1)[0].strip()


def write_block(name: str, content: str) -> Path:
    """Replace the text of block ``name`` with ``content``; the document written."""
    begin, end = markers(name)
    path = document_of(name)
    text = path.read_text()
    before, rest = text.split(begin, 1)
    _, after = rest.split(end, 1)
    path.write_text(f"{before}{begin}\n{content.strip()}\n{end}{after}")
    return path
