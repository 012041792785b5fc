"""``openjxc addon new NAME``: a pip-installable addon package that works as generated.

The package written to ``DIR/NAME`` (templates in ``openjxc/core/templates/addon``)::

    pyproject.toml            setuptools; the ``openjxc.addons`` entry point; needs openjxc
    README.md
    NAME/manifest.toml        name, version, kernel range, depends, tier, summary, prefix
    NAME/__init__.py          hook implementations (models, permissions, GraphQL)
    NAME/models.py            one example table, ``<prefix>_note``
    NAME/services.py          create a note (validation, localised errors)
    NAME/api.py               ``<name>Notes`` (a connection with a filter) and
                              ``<name>NoteCreate``
    NAME/migrations/versions/NAME_0001_initial.py
                              its own Alembic branch, after the kernel's and its
                              dependencies' current heads
    NAME/i18n/{zh_CN,en}/LC_MESSAGES/messages.po
    tests/test_NAME.py        the conformance kit plus a behaviour test (both backends)

Nothing is written when the name, prefix or dependencies are refused, or when the target
exists (it is never overwritten)::

    path = create_addon("explosion_proof", Path("examples"), depends=["base_jxc"])
"""

from __future__ import annotations

import importlib.util
import keyword
import re
import shutil
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.pofile import read_po, write_po
from packaging.version import Version

from openjxc import KERNEL_VERSION
from openjxc.core.addons import TABLE_PREFIX, TIERS, AddonManifest, discover
from openjxc.core.errors import OpenJXCError

TEMPLATES = Path(__file__).parent / "templates" / "addon"
#: The token template paths use for the addon's name (``NAME/models.py.tmpl``).
NAME_TOKEN = "NAME"
#: Revision ids read ``<name>_0001`` and Alembic keeps them in a VARCHAR(32).
MAX_NAME = 27
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
#: Words of the kernel and of the libraries it stands on: an addon package so named would
#: shadow them or confuse every reader (ARCHITECTURE.md, "pitfalls seen elsewhere").
KERNEL_WORDS = frozenset({
    "core", "kernel", "openjxc", "graphql", "addon", "addons", "testing", "tests", "test",
    "migrations", "migration", "alembic", "i18n", "templates", "docs", "examples", "schema",
    "models", "services", "api", "events", "hookspecs", "manifest", "strawberry",
    "sqlalchemy", "pluggy", "babel", "starlette", "click", "jinja2", "pytest", "setuptools",
})

#: zh_CN of the messages the generated services mark with ``_`` (en repeats the msgid).
ZH_CN = {
    "A code of up to {max} characters is required": "编码必填，最多 {max} 个字符",
    "The code {code} is already used": "编码 {code} 已被使用",
    "A title of up to {max} characters is required": "标题必填，最多 {max} 个字符",
}


class ScaffoldError(OpenJXCError):
    code = "SCAFFOLD"


@dataclass(frozen=True)
class AddonSpec:
    """Everything the templates are rendered with."""

    name: str
    prefix: str
    depends: tuple[str, ...]
    tier: str
    summary: str
    depends_on: tuple[str, ...]
    version: str = "0.1.0"

    @property
    def camel(self) -> str:
        return "".join(part.capitalize() for part in self.name.split("_") if part)

    @property
    def lower_camel(self) -> str:
        return self.camel[0].lower() + self.camel[1:]

    def variables(self) -> dict[str, object]:
        quoted = ", ".join(f'"{d}"' for d in self.depends)
        revisions = ", ".join(f'"{r}"' for r in self.depends_on)
        return {
            "name": self.name, "prefix": self.prefix, "tier": self.tier,
            "name_pad": " " * (len(self.name) + 4),
            # one line, safe inside TOML strings and docstrings
            "summary": " ".join(self.summary.split()).replace("\\", "/").replace('"', "'"),
            "version": self.version,
            "camel": self.camel, "lower_camel": self.lower_camel,
            "dist_name": "openjxc-" + self.name.replace("_", "-"),
            "kernel_range": kernel_range(), "kernel_requirement": f"openjxc{kernel_range()}",
            "depends_toml": f"[{quoted}]",
            "depends_text": ", ".join(f"`{d}`" for d in self.depends) or "nothing but the kernel",
            "depends_on": f"({revisions},)" if revisions else "None",
            "create_date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S"),
        }


def kernel_range(kernel_version: str = KERNEL_VERSION) -> str:
    """The kernel versions a new addon claims: this minor series before 1.0, this major
    series after (``0.1.0`` → ``>=0.1,<0.2``; ``1.4.2`` → ``>=1.4,<2``)."""
    version = Version(kernel_version)
    if version.major == 0:
        return f">=0.{version.minor},<0.{version.minor + 1}"
    return f">={version.major}.{version.minor},<{version.major + 1}"


def check_name(name: str, available: Mapping[str, AddonManifest]) -> None:
    """Refuse a name that is not a lowercase identifier, is taken, or shadows a module."""
    if not _NAME.match(name) or not name.isidentifier() or len(name) > MAX_NAME:
        raise ScaffoldError(f"invalid addon name {name!r}: use lowercase letters, digits and "
                            f"underscores, starting with a letter (at most {MAX_NAME} "
                            f"characters), e.g. explosion_proof")
    if keyword.iskeyword(name) or name in KERNEL_WORDS:
        raise ScaffoldError(f"{name!r} is a word of the kernel or of Python; choose a name "
                            f"that says what the addon does, e.g. explosion_proof")
    if name in available:
        raise ScaffoldError(f"an addon named {name!r} is already installed "
                            f"({available[name].package}); choose another name")
    if name in sys.stdlib_module_names or name.startswith("_"):
        raise ScaffoldError(f"{name!r} is a module of Python's standard library; an addon "
                            f"so named would shadow it")
    try:
        taken = importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        taken = True
    if taken:
        raise ScaffoldError(f"a Python module named {name!r} is already installed; an addon "
                            f"so named would shadow it or be shadowed")


def check_prefix(prefix: str, available: Mapping[str, AddonManifest]) -> None:
    if not TABLE_PREFIX.match(prefix) or prefix == "core":
        raise ScaffoldError(f"invalid table prefix {prefix!r}: lowercase letters, digits and "
                            f"underscores, starting with a letter, at most 31 characters, "
                            f"not 'core'")
    used = {m.table_prefix: m.name for m in available.values()}
    if prefix in used:
        raise ScaffoldError(f"the table prefix {prefix!r} is used by the addon "
                            f"{used[prefix]!r}; choose another with --prefix")
    # ``jxc_fg`` would name tables ``jxc_fg_…`` inside base_jxc's ``jxc_…`` (and the
    # kernel's ``core_…``): whose table is ``jxc_fg_note``?
    for other, owner in sorted({**used, "core": "the kernel"}.items()):
        if prefix.startswith(other + "_") or other.startswith(prefix + "_"):
            raise ScaffoldError(f"the table prefix {prefix!r} overlaps {other!r} of "
                                f"{owner if owner == 'the kernel' else repr(owner)}: its "
                                f"tables would look like theirs; choose another with "
                                f"--prefix")


def check_depends(depends: Sequence[str], available: Mapping[str, AddonManifest]) -> None:
    unknown = [d for d in depends if d not in available]
    if unknown:
        raise ScaffoldError(f"unknown addon(s) in --depends: {', '.join(unknown)}; installed "
                            f"addons are: {', '.join(sorted(available))}")


def dependency_heads(depends: Sequence[str]) -> tuple[str, ...]:
    """The head revisions of the kernel's and of each dependency's migration branch."""
    from openjxc.core.env import KERNEL, Environment
    from openjxc.core.migrate import branch_heads

    heads = branch_heads(Environment.for_addons(depends))
    return tuple(heads[branch] for branch in (KERNEL, *depends) if branch in heads)


def render(spec: AddonSpec) -> dict[Path, str]:
    """Relative path → text of every file of the package but the catalogues."""
    from jinja2 import Environment as Jinja
    from jinja2 import FileSystemLoader, StrictUndefined

    jinja = Jinja(loader=FileSystemLoader(TEMPLATES), keep_trailing_newline=True,
                  undefined=StrictUndefined, autoescape=False)
    variables = spec.variables()
    files: dict[Path, str] = {}
    for template in sorted(TEMPLATES.rglob("*.tmpl")):
        relative = template.relative_to(TEMPLATES)
        target = Path(str(relative.with_suffix("")).replace(NAME_TOKEN, spec.name))
        files[target] = jinja.get_template(relative.as_posix()).render(variables)
    return files


def write_catalogs(package: Path) -> None:
    """zh_CN and en catalogues of the generated messages, translated."""
    from openjxc.core.i18n import catalog_path, update_catalogs

    update_catalogs(package)
    path = catalog_path(package / "i18n", "zh_CN")
    with path.open("rb") as fileobj:
        catalog = read_po(fileobj, locale="zh_CN")
    for message in catalog:
        if isinstance(message.id, str) and message.id in ZH_CN:
            message.string = ZH_CN[message.id]
    with path.open("wb") as fileobj:
        write_po(fileobj, catalog, width=100, sort_output=True, include_lineno=False)


def create_addon(name: str, path: Path, *, depends: Sequence[str] = ("base_jxc",),
                 prefix: str | None = None, tier: str = "basic",
                 summary: str | None = None) -> Path:
    """Write the package ``path/name`` and return its directory (see the module doc)."""
    available = discover()
    check_name(name, available)
    prefix = prefix if prefix is not None else name
    check_prefix(prefix, available)
    depends = tuple(dict.fromkeys(d.strip() for d in depends if d.strip()))
    check_depends(depends, available)
    if tier not in TIERS:
        raise ScaffoldError(f"tier must be one of {', '.join(TIERS)}")
    target = Path(path) / name
    if target.exists():
        raise ScaffoldError(f"{target} already exists; nothing was written (choose another "
                            f"--path, or remove it first)")
    spec = AddonSpec(name=name, prefix=prefix, depends=depends, tier=tier,
                     summary=summary or name.replace("_", " ").capitalize(),
                     depends_on=dependency_heads(depends))
    files = render(spec)
    try:
        for relative, text in files.items():
            destination = target / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_text(text, encoding="utf-8")
        write_catalogs(target / name)
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    return target
