"""Code fingerprints of the workflow's scripts, so that a change in any library file a rule uses reruns it.

A rule's ``script:`` imports modules of this package, which import others, possibly lazily inside functions.
:func:`script_closure` follows those imports statically (``ast``; nothing is imported or executed): every
``import radiovector.x.y``, ``from radiovector.x import y``, relative import, and ``import_module("radiovector.x")``
or ``importlib.resources.files("pkg")`` with a literal name, anywhere in a module, adds the module file, its parent
packages' ``__init__.py`` (importing ``a.b.c`` runs ``a/__init__`` and ``a/b/__init__``) and, for every package
touched, its data files (:data:`DATA_SUFFIXES`, in the package directory and its non-package subdirectories such
as ``data/``). :func:`code_hash` fingerprints the script plus that closure; :func:`third_party_imports` lists the
top-level names of everything else the closure imports (used to check the rules' conda environments).

Not seen: imports whose module name is computed at run time (``import_module(f"...{name}")``); the package
``__init__`` modules that do this (lazy attribute maps) are themselves in the closure, and the scripts import the
submodules they use by name.
"""

from __future__ import annotations

import ast
import hashlib
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

#: Package data files that count as code (tables of reference values, profiles, monomer libraries ...).
DATA_SUFFIXES = frozenset({".csv", ".tsv", ".yaml", ".yml", ".json", ".txt"})
PACKAGE = "radiovector"


def package_dir() -> Path:
    """The directory of the ``radiovector`` package this module belongs to."""
    return Path(__file__).resolve().parent


@dataclass
class ImportScan:
    """Imports found in one file: absolute module names (relative ones resolved, literal ``import_module``
    arguments included) and the ``module.name`` of every ``from module import name``."""

    modules: set[str] = field(default_factory=set)
    from_names: set[str] = field(default_factory=set)  # "pkg.mod.name" for `from pkg.mod import name`


def scan_imports(path: Path, module: str | None = None) -> ImportScan:
    """Every import in ``path`` at any depth (module level, functions, ``if`` blocks). ``module`` is the dotted
    name of the file (for relative imports; ``None`` for a script, where relative imports are an error)."""
    source = path.read_bytes()
    tree = ast.parse(source, filename=str(path))
    is_package = path.name == "__init__.py"
    scan = ImportScan()
    for node in _statements(tree.body):  # import statements sit in statement lists only: a cheap walk
        if isinstance(node, ast.Import):
            scan.modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _resolve_from(node, module, is_package, path)
            scan.modules.add(base)
            scan.from_names.update(f"{base}.{alias.name}" for alias in node.names if alias.name != "*")
    if any(marker in source for marker in _DYNAMIC_MARKERS):  # calls hide in expressions: the full walk
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _is_dynamic_import(node.func) and node.args:
                arg = node.args[0]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    scan.modules.add(arg.value)
    return scan


_DYNAMIC_MARKERS = (b"import_module", b"__import__", b"files(")
_BLOCKS = ("body", "orelse", "finalbody", "handlers", "cases")


def _statements(nodes: list[ast.stmt]) -> Iterable[ast.AST]:
    """Every statement at any depth (inside functions, classes, if/try/with/for/match blocks)."""
    stack: list[ast.AST] = list(nodes)
    while stack:
        node = stack.pop()
        yield node
        for name in _BLOCKS:
            child = getattr(node, name, None)
            if isinstance(child, list):
                stack.extend(child)


def _resolve_from(node: ast.ImportFrom, module: str | None, is_package: bool, path: Path) -> str:
    if not node.level:
        return node.module or ""
    if module is None:
        raise ValueError(f"{path}:{node.lineno}: relative import outside a package")
    parts = module.split(".") if is_package else module.split(".")[:-1]
    if node.level - 1 > len(parts) - 1:
        raise ValueError(f"{path}:{node.lineno}: relative import beyond the top-level package")
    parts = parts[: len(parts) - (node.level - 1)]
    return ".".join(parts + ([node.module] if node.module else []))


def _is_dynamic_import(func: ast.expr) -> bool:
    """``import_module(...)``, ``__import__(...)`` or ``resources.files(...)`` (package data read by name)."""
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    if name == "files":
        return isinstance(func, ast.Attribute) and isinstance(func.value, (ast.Name, ast.Attribute)) and (
            ast.unparse(func.value).endswith("resources"))
    return name in ("import_module", "__import__")


def module_file(name: str, root: Path) -> Path | None:
    """The file of module ``name`` (``radiovector.x.y``) under the package directory ``root``, or ``None``."""
    parts = name.split(".")
    if parts[0] != root.name:
        return None
    base = root.joinpath(*parts[1:])
    for candidate in (base / "__init__.py", base.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


def _module_name(path: Path, root: Path) -> str:
    rel = path.relative_to(root.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _data_files(package: Path) -> list[Path]:
    """Data files of one package: its directory and subdirectories that are not packages themselves."""
    found: list[Path] = []
    for path in package.iterdir():
        if path.is_file() and path.suffix.lower() in DATA_SUFFIXES:
            found.append(path)
        elif path.is_dir() and path.name != "__pycache__" and not (path / "__init__.py").is_file():
            found.extend(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in DATA_SUFFIXES
                         and "__pycache__" not in p.parts)
    return found


@dataclass(frozen=True)
class Closure:
    """What a script depends on: library files (modules and package data) and third-party top-level imports."""

    script: Path
    files: tuple[Path, ...]
    third_party: frozenset[str]


def script_closure(script: str | Path, root: Path | None = None,
                   cache: dict[tuple[Path, str | None], ImportScan] | None = None) -> Closure:
    """The transitive closure of library modules (under the package directory ``root``, default this package)
    that ``script`` imports, plus parent ``__init__`` files and the data files of every package touched.
    ``cache`` keeps the parsed imports of each file between calls (e.g. over all scripts of one workflow)."""
    script = Path(script)
    root = (root or package_dir()).resolve()
    modules: set[Path] = set()
    third: set[str] = set()
    queue: list[tuple[Path, str | None]] = [(script, None)]
    seen_files: set[Path] = set()
    while queue:
        path, name = queue.pop()
        if path in seen_files:
            continue
        seen_files.add(path)
        cache = {} if cache is None else cache
        if (path, name) not in cache:
            cache[(path, name)] = scan_imports(path, name)
        scan = cache[(path, name)]
        wanted = set()
        for mod in scan.modules:
            top = mod.split(".")[0]
            if top == root.name:
                wanted.add(mod)
            elif top and top not in sys.stdlib_module_names and top != "__future__":
                third.add(top)
        # `from radiovector.x import y`: y is a submodule or a name defined in radiovector.x
        wanted.update(n for n in scan.from_names if n.split(".")[0] == root.name and module_file(n, root))
        for mod in wanted:
            parts = mod.split(".")
            for depth in range(1, len(parts) + 1):  # importing a.b.c runs a/__init__ and a/b/__init__ first
                prefix = ".".join(parts[:depth])
                file = module_file(prefix, root)
                if file is None:
                    if depth == len(parts):
                        raise ValueError(f"{path}: imports {mod!r}, which is not a module under {root}")
                    continue
                if file not in modules:
                    modules.add(file)
                    queue.append((file, _module_name(file, root)))
    packages = {file.parent for file in modules}
    data = {p for package in packages for p in _data_files(package)}
    files = tuple(sorted(modules | data))
    return Closure(script=script, files=files, third_party=frozenset(third))


def hash_files(files: Iterable[Path], root: Path) -> str:
    """sha256 over (path relative to ``root``, content) of ``files`` in sorted order; 16 hex digits."""
    digest = hashlib.sha256()
    for path in sorted(files):
        rel = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name
        digest.update(rel.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def code_hash(script: str | Path, root: Path | None = None,
              cache: dict[tuple[Path, str | None], ImportScan] | None = None) -> str:
    """Fingerprint of ``script`` and every library file in its :func:`script_closure`."""
    root = (root or package_dir()).resolve()
    closure = script_closure(script, root, cache)
    return hash_files([Path(script).resolve(), *closure.files], root.parent)


def code_versions(scripts_dir: str | Path, root: Path | None = None) -> dict[str, str]:
    """:func:`code_hash` of every ``*.py`` in ``scripts_dir``, by file name (what ``rules/common.smk`` uses)."""
    cache: dict[tuple[Path, str | None], ImportScan] = {}
    return {path.name: code_hash(path, root, cache) for path in sorted(Path(scripts_dir).glob("*.py"))}


def third_party_imports(script: str | Path, root: Path | None = None) -> frozenset[str]:
    """Top-level names of the non-stdlib, non-library modules imported by ``script`` or its closure."""
    return script_closure(script, root).third_party
