"""The public API (``lstm97/__init__.py``): the README's example runs as printed, every exported name
resolves, and ``import lstm97`` alone does not load jax."""
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _python(code: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=timeout)


def readme_example() -> str:
    section = (ROOT / "README.md").read_text().split("\n## Python API\n", 1)[1].split("\n## ", 1)[0]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_readme_example_runs_and_prints_what_it_says():
    proc = _python(readme_example())
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    assert re.fullmatch(r"one sequence of \d+ steps", lines[0]), lines
    assert [re.fullmatch(r"trial (\d) success (True|False) after \d+ sequences", line).group(1)
            for line in lines[1:3]] == ["0", "1"], lines
    k = sum(line.split()[3] == "True" for line in lines[1:3])
    assert lines[3] == f"{k}/2 successful; verdict: quick run" and len(lines) == 4, lines


def test_every_exported_name_resolves_without_an_import_cycle():
    import lstm97
    assert {"make_task", "quick", "train_row", "Row", "Experiment", "summarise"} <= set(lstm97.__all__)
    assert all(getattr(lstm97, name) is not None for name in lstm97.__all__)
    assert set(lstm97.__all__) <= set(dir(lstm97))
    # every name in a fresh interpreter, in reverse order; no order can meet a cycle, since lstm97's modules
    # import each other without one (tests/test_structure.py, imports at module top included)
    proc = _python("import lstm97\nfor name in reversed(lstm97.__all__): getattr(lstm97, name)\nprint('ok')")
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr[-2000:]
    try:
        lstm97.no_such_name
    except AttributeError as e:
        assert "no_such_name" in str(e)
    else:
        raise AssertionError("lstm97.no_such_name resolved")


def test_import_does_not_load_jax_and_the_command_line_still_runs():
    """``import lstm97`` stays light (names load on first use); ``python -m lstm97`` works through the
    package. (Whether ``--help`` loads jax is up to ``__main__``'s own imports.)"""
    proc = _python("import sys, lstm97\nassert 'jax' not in sys.modules, sorted(sys.modules)\n"
                   "lstm97.Row\nprint('jax' in sys.modules)", timeout=60)
    assert proc.returncode == 0 and proc.stdout.strip() == "True", proc.stderr[-2000:]
    proc = subprocess.run([sys.executable, "-m", "lstm97", "--help"], capture_output=True, text=True, cwd=ROOT,
                          timeout=60)
    assert proc.returncode == 0 and "python -m lstm97" in proc.stdout, proc.stderr[-2000:]
