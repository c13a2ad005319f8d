"""The import structure of graphsh_tf, read from the source (ast; nothing is imported or run).

* no import circle between modules of graphsh_tf (imports inside functions count too);
* graphsh_tf never imports the command-line doors (training/, tflite/), benchmarks/ or tests/;
* no module imports a private name (``_x``) of another module.

An edge A -> B is an ``import``/``from ... import`` statement in A naming module B (``from pkg import name`` names
the module ``pkg.name`` when that is a module, else ``pkg``). A package's ``__init__`` runs when one of its modules
is imported, but it is not counted as an edge of the importer: a package face only hands names on. Only a
package face (``__init__.py``) may hand names on lazily (a module ``__getattr__``); no other module does, so every
name has one home that an import statement reaches.
"""
from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, List, Set

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "graphsh_tf"
FOREIGN = ("training", "tflite", "benchmarks", "tests")


def _modules() -> Dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _resolve(name: str, modules: Dict[str, Path]) -> str:
    """The longest prefix of the dotted ``name`` that is a module of graphsh_tf."""
    parts = name.split(".")
    for k in range(len(parts), 0, -1):
        candidate = ".".join(parts[:k])
        if candidate in modules:
            return candidate
    return ""


def _imports(module: str, path: Path, modules: Dict[str, Path]) -> List[tuple]:
    """``(target, names, line)`` for every import statement of ``path``; ``target`` a dotted module name."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, [], node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.append((sub if sub in modules else base, [alias.name], node.lineno))
    return found


def _graph():
    modules = _modules()
    edges: Dict[str, Set[str]] = {m: set() for m in modules}
    raw = {}
    for module, path in modules.items():
        raw[module] = _imports(module, path, modules)
        for target, _, _ in raw[module]:
            resolved = _resolve(target, modules)
            if resolved and resolved != module:
                edges[module].add(resolved)
    return modules, edges, raw


def _cycles(edges: Dict[str, Set[str]]) -> List[List[str]]:
    """Every strongly connected component with more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def test_the_walk_sees_the_package():
    modules, edges, _ = _graph()
    assert {"graphsh_tf.run", "graphsh_tf.evaluate", "graphsh_tf.lite.export", "graphsh_tf.data.types"} <= set(modules)
    assert "graphsh_tf.lite.qat" in edges["graphsh_tf.lite.export"]          # a function-level import is seen


def test_no_import_circle():
    _, edges, _ = _graph()
    cycles = _cycles(edges)
    assert not cycles, "import circles in graphsh_tf: " + "; ".join(" <-> ".join(c) for c in cycles)


def test_library_never_imports_doors_benchmarks_or_tests():
    _, _, raw = _graph()
    bad = [f"{m}:{line} imports {target}" for m, found in raw.items() for target, _, line in found
           if target.split(".")[0] in FOREIGN]
    assert not bad, "; ".join(bad)


def test_no_private_names_across_modules():
    _, _, raw = _graph()
    bad = [f"{m}:{line} takes {n} from {target}" for m, found in raw.items() for target, names, line in found
           for n in names if n.startswith("_") and not n.startswith("__") and target.startswith("graphsh_tf")
           and target != m]
    assert not bad, "; ".join(bad)


def test_only_the_export_orchestration_imports_both_qat_and_the_converter():
    _, edges, _ = _graph()
    both = [m for m, e in edges.items() if {"graphsh_tf.lite.qat", "graphsh_tf.lite.convert"} <= e]
    assert both == ["graphsh_tf.lite.export"], both


def test_no_lazy_re_exports_outside_package_faces():
    """A module-level ``__getattr__`` hands names on without an import statement (an edge this walk cannot see);
    only package faces may have one."""
    found = []
    for module, path in _modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        if path.name != "__init__.py" and any(isinstance(n, ast.FunctionDef) and n.name == "__getattr__"
                                          for n in tree.body):
            found.append(module)
    assert not found, f"module-level __getattr__ in {found}: import the names from their home instead"
