"""The layout's rules, checked on the source: imports go down the pipeline, Whoosh's internals stay
behind indexer/index/whoosh_compat.py, and the `minutes` command's core runs without Flask."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
INDEXER = ROOT / "indexer"
COMPAT = INDEXER / "index" / "whoosh_compat.py"

# What each part of indexer/ may import from indexer/ (besides itself); the order of the pipeline.
BASE = {"indexer.records", "indexer.settings", "indexer.fsutil"}
ALLOWED = {
    "base": BASE,
    "text": set(),
    "parse": BASE | {"indexer.text"},
    "store": BASE | {"indexer.text", "indexer.parse"},
    "crawl": BASE | {"indexer.text", "indexer.parse", "indexer.store"},
    "index": BASE | {"indexer.text", "indexer.store"},
    "search": BASE | {"indexer.text", "indexer.index"},
}
NO_WHOOSH = {"base", "text", "parse", "store", "crawl"}
WHOOSH_PRIVATE_MODULES = ("whoosh.filedb", "whoosh.codec", "whoosh.system", "whoosh.matching")


def _modules(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.py") if "__pycache__" not in p.parts)


def _part(path: Path) -> str:
    relative = path.relative_to(INDEXER)
    return relative.parts[0] if len(relative.parts) > 1 else ("top" if path.stem in ("cli", "pipeline") else "base")


def _imports(path: Path) -> list[tuple[int, str, list[str]]]:
    """Return (line, module, imported names) for every import in a file, however deeply nested."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name, []) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.append((node.lineno, node.module, [alias.name for alias in node.names]))
    return found


def _targets(module: str, names: list[str]) -> list[str]:
    """Return the modules an import statement reaches (`from indexer.search import postings` → both)."""
    return [module] + [f"{module}.{name}" for name in names]


def _within(module: str, prefixes: set[str]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def test_every_folder_says_what_it_holds_and_may_import():
    for package in [INDEXER, *(p for p in INDEXER.iterdir() if (p / "__init__.py").exists())]:
        doc = ast.get_docstring(ast.parse((package / "__init__.py").read_text(encoding="utf-8")))
        assert doc and "import" in doc.lower(), f"{package.name}/__init__.py must say what it holds and may import"


def test_imports_only_go_down_the_pipeline():
    problems = []
    for path in _modules(INDEXER):
        part = _part(path)
        if part == "top":
            continue
        own = "indexer" if part == "base" else f"indexer.{part}"
        allowed = ALLOWED[part] | ({own} if part != "base" else set())
        for line, module, names in _imports(path):
            for target in _targets(module, names):
                if not target.startswith("indexer.") or target == "indexer":
                    continue
                if part == "base" and target in BASE:
                    continue
                if not _within(target, allowed) and not _within(module, allowed):
                    problems.append(f"{path.relative_to(ROOT)}:{line} ({part}) imports {target}")
    assert not problems, "imports against the pipeline:\n" + "\n".join(problems)


def test_the_library_never_imports_the_web_layer_or_flask():
    problems = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in _modules(INDEXER)
        for line, module, _ in _imports(path)
        if _within(module, {"search_web", "flask", "werkzeug", "jinja2"})
    ]
    assert not problems, "\n".join(problems)


def test_early_stages_never_import_whoosh():
    problems = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in _modules(INDEXER)
        if _part(path) in NO_WHOOSH
        for line, module, _ in _imports(path)
        if _within(module, {"whoosh"})
    ]
    assert not problems, "\n".join(problems)


def _whoosh_private_names() -> set[str]:
    """Return every single-underscore attribute name Whoosh's own source reads or sets."""
    import whoosh

    names: set[str] = set()
    for path in Path(whoosh.__file__).parent.rglob("*.py"):
        names.update(re.findall(r"\.(_[a-z][A-Za-z0-9_]*)\b", path.read_text(encoding="utf-8", errors="replace")))
    return names


def _own_private_names(paths: list[Path]) -> set[str]:
    """Return the single-underscore names the project defines itself (attributes, methods, functions)."""
    names: set[str] = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and node.name.startswith("_"):
                names.add(node.name)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store) and node.attr.startswith("_"):
                names.add(node.attr)
            elif isinstance(node, ast.AnnAssign | ast.Assign):
                for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                    if isinstance(target, ast.Name) and target.id.startswith("_"):
                        names.add(target.id)
        # __slots__ and names listed as strings (e.g. "_items") count as the project's own
        names.update(re.findall(r"\"(_[a-z]\w*)\"", path.read_text(encoding="utf-8")))
    return names


def _checked_sources() -> list[Path]:
    return [p for p in _modules(INDEXER) + _modules(ROOT / "search_web") if p != COMPAT]


def _whoosh_reach(path: Path, whoosh_private: set[str]) -> list[str]:
    """Return every place in a file that imports Whoosh's private modules or names, or reads a private attribute."""
    problems = []
    for line, module, names in _imports(path):
        if _within(module, set(WHOOSH_PRIVATE_MODULES)) and not (
            module == "whoosh.matching" and not any(n.startswith("_") for n in names)
        ):
            problems.append(f"{path.name}:{line} imports {module}")
        if module.startswith("whoosh") and any(n.startswith("_") for n in names):
            problems.append(f"{path.name}:{line} imports a private name from {module}")
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in whoosh_private
            and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))
        ):
            problems.append(f"{path.name}:{node.lineno} reads .{node.attr}")
    return problems


def test_whoosh_internals_are_reached_only_through_whoosh_compat():
    sources = _checked_sources()
    whoosh_private = _whoosh_private_names() - _own_private_names(sources)
    problems = [problem for path in sources for problem in _whoosh_reach(path, whoosh_private)]
    assert not problems, "Whoosh internals outside whoosh_compat.py:\n" + "\n".join(problems)


def test_the_whoosh_private_check_finds_a_private_access(tmp_path):
    """The same scan, with the same names, sees a module reaching into a matcher (so its silence means something)."""
    sample = tmp_path / "sneaky.py"
    sample.write_text(
        "from whoosh.system import _INT_SIZE\n\ndef f(m):\n    m._next_block()\n    return m._blocklength\n",
        encoding="utf-8",
    )
    whoosh_private = _whoosh_private_names() - _own_private_names(_checked_sources())
    assert sorted(_whoosh_reach(sample, whoosh_private)) == [
        "sneaky.py:1 imports a private name from whoosh.system",
        "sneaky.py:1 imports whoosh.system",
        "sneaky.py:4 reads ._next_block",
        "sneaky.py:5 reads ._blocklength",
    ]


def _run_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **env},
        timeout=120,
    )


BLOCK_FLASK = """
import sys
class _NoFlask:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("flask", "werkzeug", "jinja2", "markupsafe"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, _NoFlask())
"""


def test_the_core_command_runs_without_flask(tmp_path):
    sample = ROOT / "data" / "sample" / "p001.html"
    code = (
        BLOCK_FLASK
        + f"""
from click.testing import CliRunner
from indexer.cli import main
runner = CliRunner()
data = {str(tmp_path / "data")!r}
for args in (["--help"], ["parse", {str(sample)!r}, "--json"], ["analyze", "データセンター"],
             ["--data-dir", data, "ingest", {str(sample)!r}], ["--data-dir", data, "index", "--procs", "1"],
             ["--data-dir", data, "search", "委員", "--json"]):
    result = runner.invoke(main, args)
    assert result.exit_code == 0, (args, result.output, result.exception)
assert "flask" not in sys.modules and "search_web" not in sys.modules
result = runner.invoke(main, ["--data-dir", data, "serve"])
assert result.exit_code != 0 and "flask" in result.output.lower(), result.output
print("ok")
"""
    )
    result = _run_python(code)
    assert result.returncode == 0 and result.stdout.strip().endswith("ok"), result.stdout + result.stderr


def test_the_web_commands_come_from_search_web():
    from click.testing import CliRunner

    from indexer.cli import main

    listed = CliRunner().invoke(main, ["--help"])
    assert listed.exit_code == 0
    for name in ("serve", "demo", "parse", "crawl", "index", "search"):
        assert re.search(rf"^\s+{name}\s", listed.output, re.M), (name, listed.output)


@pytest.mark.parametrize(
    "breakage, expected",
    [
        (
            "import importlib.metadata as m; real = m.version; "
            "m.version = lambda name: '3.99.0' if name == 'whoosh3' else real(name)",
            "whoosh3 3.99.0 is installed",
        ),
        ("import whoosh.codec.whoosh3 as w; del w.W3LeafMatcher._next_block", "has no _next_block"),
    ],
)
def test_whoosh_compat_refuses_a_whoosh_it_was_not_written_for(breakage, expected):
    result = _run_python(f"{breakage}\nimport indexer.index.whoosh_compat\n")
    assert result.returncode != 0
    assert "WhooshMismatch" in result.stderr and expected in result.stderr, result.stderr
    assert "pip install 'whoosh3==" in result.stderr
