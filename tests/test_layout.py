"""The shape of the code (README, "Code map"): no module-level import circle, the place
register knows nothing of networks, pages and the API share their reads through selectors
and never import each other, and no product module grows past what one can read."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ["citynet", "cities", "networks"]
PRODUCT_LINES_MAX = 620
# Tooling that times or fills the database: kept apart from the product (networks/tooling/).
NOT_PRODUCT = ("networks.tooling.",)


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, Path]:
    return {
        module_name(path): path
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts
    }


MODULES = project_modules()


def is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imported_modules(module: str, tree: ast.Module, *, module_level: bool) -> set[str]:
    """Project modules `module` imports: at module level only (what runs on import, not under
    TYPE_CHECKING), or anywhere (functions included)."""
    if module_level:
        nodes, stack = [], list(tree.body)
        while stack:
            node = stack.pop()
            if isinstance(node, ast.If) and is_type_checking(node):
                continue
            if isinstance(node, ast.If | ast.Try):
                stack += node.body + node.orelse + getattr(node, "handlers", []) + getattr(node, "finalbody", [])
            elif isinstance(node, ast.ExceptHandler):
                stack += node.body
            else:
                nodes.append(node)
    else:
        nodes = list(ast.walk(tree))
    found = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return {name for name in found if name in MODULES and name != module}


def import_graph(*, module_level: bool = True) -> dict[str, set[str]]:
    return {
        module: imported_modules(module, ast.parse(path.read_text(encoding="utf-8")), module_level=module_level)
        for module, path in MODULES.items()
    }


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_finds_the_project_modules():
    assert {"cities.models", "networks.models", "networks.selectors", "networks.api.viewsets"} <= set(MODULES)


def test_no_module_level_import_circle():
    assert circles(import_graph()) == []


def test_circle_finder_finds_a_circle():
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_place_register_models_import_nothing_from_networks():
    imports = import_graph(module_level=False)["cities.models"]
    assert not [name for name in imports if name.startswith("networks")]


@pytest.mark.parametrize("page", ["networks.views", "networks.pages", "cities.views"])
def test_pages_never_import_the_api(page):
    imports = import_graph(module_level=False)[page]
    assert not [name for name in imports if name.startswith(("networks.api", "cities.api", "citynet.api"))]


def test_api_never_imports_pages():
    graph = import_graph(module_level=False)
    api = [module for module in graph if module.startswith("networks.api") or module == "cities.api"]
    pages = ("networks.views", "networks.pages", "cities.views")
    assert {module: sorted(graph[module] & set(pages)) for module in api if graph[module] & set(pages)} == {}


def test_pages_and_api_share_their_reads_through_selectors():
    graph = import_graph(module_level=False)
    assert "networks.selectors" in graph["networks.views"]
    assert "networks.selectors" in graph["networks.api.matrix"]


def test_no_product_module_is_longer_than_one_can_read():
    long = {
        module: lines
        for module, path in MODULES.items()
        if not module.startswith(NOT_PRODUCT)
        and (lines := len(path.read_text(encoding="utf-8").splitlines())) > PRODUCT_LINES_MAX
    }
    assert long == {}
