"""The house's structure: no import circle inside lstm97/ (imports anywhere in a module count, also those
inside functions), so data flows one way: config → task → cell → trainer → trial rows → tables → figures."""
import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "lstm97"


def imports() -> dict[str, set[str]]:
    """Each lstm97 module (``lstm97.x``) and the lstm97 modules it imports."""
    found = {}
    for path in PACKAGE.rglob("*.py"):
        name = "lstm97." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
        name = name.removesuffix(".__init__")
        targets = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("lstm97"):
                targets.add(node.module)
                targets |= {f"{node.module}.{a.name}" for a in node.names}
            elif isinstance(node, ast.Import):
                targets |= {a.name for a in node.names if a.name.startswith("lstm97")}
        found[name] = targets
    return {name: {t for t in targets if t in found and t != name} for name, targets in found.items()}


def circle(graph: dict[str, set[str]]) -> list[str] | None:
    """An import circle of ``graph`` (module → modules it imports) as a path back to its start, or None."""
    def walk(start: str, node: str, path: list[str], seen: set[str]) -> list[str] | None:
        for nxt in sorted(graph[node]):
            if nxt == start:
                return path + [nxt]
            if nxt not in seen:
                seen.add(nxt)
                if found := walk(start, nxt, path + [nxt], seen):
                    return found
        return None
    return next((found for name in sorted(graph) if (found := walk(name, name, [name], set()))), None)


def test_no_import_circle_inside_lstm97():
    found = circle(imports())
    assert found is None, " -> ".join(found)


def test_the_circle_check_finds_a_planted_circle():
    graph = imports()
    graph["lstm97.cells"] = graph["lstm97.cells"] | {"lstm97.registry"}     # cells -> registry -> cells
    assert circle(graph) is not None


LOADERS = {"import_module", "__import__", "find_spec", "spec_from_file_location", "run_module", "iter_modules"}


def loads_experiments(path: Path) -> bool:
    """Whether a module imports the ``experiments`` package, or loads modules by name (``import_module``,
    ``__import__``, ``find_spec``, …) and names ``experiments`` or ``experiments.<x>`` in a string anywhere."""
    tree = ast.parse(path.read_text())
    loads = False
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module \
                and node.module.split(".")[0] == "experiments":
            return True
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "experiments" for a in node.names):
            return True
        if isinstance(node, ast.Call):
            func = node.func
            loads |= (func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)) in LOADERS
    return loads and any(isinstance(node, ast.Constant) and isinstance(node.value, str)
                         and (node.value == "experiments" or node.value.startswith("experiments."))
                         for node in ast.walk(tree))


def reached(graph: dict[str, set[str]], start: str) -> set[str]:
    """Every module ``start`` imports, directly or through others."""
    seen, todo = set(), [start]
    while todo:
        for nxt in graph[todo.pop()] - seen:
            seen.add(nxt)
            todo.append(nxt)
    return seen


def test_only_the_command_line_imports_or_loads_the_experiments():
    loaders = {str(p.relative_to(PACKAGE.parent)) for p in PACKAGE.rglob("*.py") if loads_experiments(p)}
    assert loaders == {"lstm97/__main__.py"}, loaders


def test_the_loader_check_finds_a_load_by_name(tmp_path):
    planted = tmp_path / "planted.py"
    planted.write_text("import importlib\nNAME = 'experiments.exp4'\nimportlib.import_module(NAME)\n")
    assert loads_experiments(planted)
    planted.write_text("CODE = ('lstm97', 'experiments')        # a path, not a load\n")
    assert not loads_experiments(planted)


def test_tables_and_figures_import_neither_the_trainer_nor_the_job_store():
    graph = imports()
    trainer = {"lstm97.train", "lstm97.sweep", "lstm97.lanes", "lstm97.engines", "lstm97.store", "lstm97.runs",
               "lstm97.trainers", "lstm97.continual", "lstm97.checkpoint"}
    for module in ("lstm97.report", "lstm97.plots", "lstm97.compare_report", "lstm97.summary",
                   "lstm97.continual_report"):
        assert not reached(graph, module) & trainer, (module, reached(graph, module) & trainer)


OPTIONAL = {"ray"}          # optional extras: imported where used, so the default install runs without them


def imports_inside_functions(path: Path) -> list[str]:
    """``module:line`` of every import statement inside a function of ``path``, bar optional extras."""
    found = []
    for func in ast.walk(ast.parse(path.read_text())):
        if isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in ast.walk(func):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                    [node.module or ""] if isinstance(node, ast.ImportFrom) else []
                if names and not all(n.split(".")[0] in OPTIONAL for n in names):
                    found.append(f"{path.name}:{node.lineno}")
    return found


def test_imports_sit_at_the_top_of_modules():
    inside = [hit for p in sorted(PACKAGE.rglob("*.py")) for hit in imports_inside_functions(p)]
    assert inside == [], inside


def test_the_top_import_check_finds_one_inside_a_function(tmp_path):
    planted = tmp_path / "planted.py"
    planted.write_text("def f():\n    import numpy\n    import ray\n")
    assert imports_inside_functions(planted) == ["planted.py:2"]
