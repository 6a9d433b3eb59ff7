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
