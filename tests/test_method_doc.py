"""docs/method.md: what it names exists, and what cites it cites a step it has."""

from __future__ import annotations

import importlib
import re
import subprocess

import pytest

from tests.conftest import PROJECT_DIR

METHOD = PROJECT_DIR / "docs" / "method.md"
CODE = re.compile(r"`([^`]+)`")


def method_names() -> list[str]:
    return sorted(set(CODE.findall(METHOD.read_text())))


def macro_names() -> set[str]:
    names = set()
    for path in (PROJECT_DIR / "macros").rglob("*.sql"):
        names |= set(re.findall(r"\{%-?\s*macro\s+(\w+)\s*\(", path.read_text()))
    return names


def model_kinds() -> set[str]:
    files = [*(PROJECT_DIR / "models").glob("negsample_*.sql")]
    files += [*(PROJECT_DIR / "python_models").glob("negsample_*.py")]
    return {path.stem.removeprefix("negsample_") for path in files}


def tracked_files() -> list[str]:
    listing = subprocess.run(
        ["git", "ls-files"], cwd=PROJECT_DIR, capture_output=True, text=True, check=True
    )
    return [name for name in listing.stdout.split() if not name.startswith("bench/results/")]


def macro_calls() -> dict[str, set[str]]:
    """Each macro of the package and the macros of the package it calls (negsample.<name>)."""
    calls: dict[str, set[str]] = {}
    for path in (PROJECT_DIR / "macros").rglob("*.sql"):
        text = path.read_text()
        starts = [
            (m.start(), m.group(1))
            for m in re.finditer(r"\{%-?\s*(?:macro|test)\s+(\w+)\s*\(", text)
        ]
        for i, (start, name) in enumerate(starts):
            body = text[start : starts[i + 1][0] if i + 1 < len(starts) else len(text)]
            calls[name] = set(re.findall(r"negsample\.(\w+)\(", body))
    return calls


def reachable(calls: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        name = todo.pop()
        for called in calls.get(name, ()):
            for candidate in (called, f"default__{called}", f"default___{called.lstrip('_')}"):
                if candidate in calls and candidate not in seen:
                    seen.add(candidate)
                    todo.append(candidate)
    return seen


def step_rows() -> list[tuple[int, str, str]]:
    """(step, macro, model kind) of each row of the method's table."""
    rows = []
    for line in METHOD.read_text().splitlines():
        match = re.fullmatch(r"\| (\d) \| \*\*.*\| `([^`]+)` \| `<design>_(\w+)`[^|]* \|", line)
        if match:
            rows.append((int(match.group(1)), match.group(2), match.group(3)))
    return rows


def test_each_step_names_one_macro_and_one_model_that_calls_it():
    rows = step_rows()
    assert [step for step, _, _ in rows] == list(range(1, 9))
    calls = macro_calls()
    for step, macro, kind in rows:
        name = macro.removeprefix("negsample.")
        assert name in calls, (step, macro)
        assert kind in model_kinds(), (step, kind)
        builder = f"_model_{kind}"
        assert builder in calls, (step, builder)
        assert name == builder or name in reachable(calls, builder), (
            f"step {step}: {builder} (model {kind}) does not call {macro}"
        )


def test_every_model_the_method_names_is_a_model_of_each_design():
    named = {
        match.group(1)
        for name in method_names()
        if (match := re.fullmatch(r"<design>_(\w+)", name))
    }
    assert {"pilot_sample", "sample", "scored", "pilot_model_sql"} <= named
    assert named <= model_kinds(), sorted(named - model_kinds())


def test_every_macro_the_method_names_exists():
    macros = macro_names()
    named = {
        re.sub(r"^negsample\.|\(.*$", "", name)
        for name in method_names()
        if re.fullmatch(r"(negsample\.)?_?\w+(\(.*\))?", name) and not name.startswith("negsample:")
    }
    # Names of the Python package (modules and functions) are checked below.
    python = {"_config"}
    named = {name for name in named if name.startswith("_") or name in macros} - python
    assert {"_keep_ctes", "_sql_fit", "uniform", "correct_log_odds"} <= named
    assert named <= macros, sorted(named - macros)


def test_every_python_name_the_method_names_imports():
    dotted = [
        name
        for name in method_names()
        if re.fullmatch(r"negsample(\.\w+)+", name) and "." in name and not name[10:11] == "_"
    ]
    checked = 0
    for name in dotted:
        module, _, attribute = name.rpartition(".")
        try:
            importlib.import_module(name)
            checked += 1
            continue
        except ModuleNotFoundError:
            pass
        if module == "negsample":
            continue  # a dbt macro of the package (negsample.uniform), checked above
        assert hasattr(importlib.import_module(module), attribute), name
        checked += 1
    assert checked >= 3


def test_every_file_the_method_names_exists():
    paths = [name for name in method_names() if re.fullmatch(r"[\w/]+\.(py|sql|md)", name)]
    assert paths
    missing = [path for path in paths if not (PROJECT_DIR / path).exists()]
    assert not missing


@pytest.mark.parametrize("phrase", [r"DESIGN steps?\b", r"DESIGN section\b"])
def test_no_file_cites_a_document_the_repository_does_not_have(phrase):
    citing = [
        name
        for name in tracked_files()
        if (PROJECT_DIR / name).is_file()
        and name != "tests/test_method_doc.py"
        and re.search(phrase, (PROJECT_DIR / name).read_text(errors="replace"))
    ]
    assert not citing


def test_every_step_cited_is_a_step_of_the_method():
    steps = {int(n) for n in re.findall(r"^\| (\d) \| \*\*", METHOD.read_text(), re.M)}
    assert steps == set(range(1, 9))
    cited = []
    for name in tracked_files():
        path = PROJECT_DIR / name
        if path.is_file():
            text = path.read_text(errors="replace").replace("\n", " ")
            for first, last in re.findall(r"docs/method\.md\s+steps?\s+(\d)(?:-(\d))?", text):
                cited += [int(first)] + ([int(last)] if last else [])
    assert len(cited) > 10
    assert set(cited) <= steps
