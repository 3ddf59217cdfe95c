"""Plugin discovery: Python entry points in, Kafka Connect's plugin names and listings out.

Each plugin type has its own entry-point group (declared by a distribution's ``pyproject.toml``)::

    [project.entry-points."kconnect.connectors"]
    MySource = "my_pkg.source:MySourceConnector"

A :class:`PluginRegistry` resolves the names a connector config may use for a plugin, following
Kafka Connect's alias rules:

* the plugin's own fully qualified class name (``cls.class_name``, e.g. Apache's
  ``org.apache.kafka.connect.file.FileStreamSourceConnector``; plugins that leave it empty get
  ``module.QualName``);
* any name in ``cls.aliases`` and the entry-point name;
* the simple class name (last segment of the class name) and the simple name with the type suffix
  pruned (``Connector``, ``Converter``, ``HeaderConverter``, ``Transformation``, ``Predicate``,
  ``ConfigProvider``) — ``FileStreamSourceConnector`` and ``FileStreamSource`` — as long as only one
  plugin of that type claims it (Apache drops ambiguous aliases);
* a Python dotted path, ``module:Class`` or ``module.Class``, for plugins that are importable but not
  registered as entry points.

Entry points are read and imported on the first lookup of each type and cached. A plugin that fails
to import (or is not a valid plugin) is logged and skipped, unless the registry is strict.

Differences from Apache, deliberately: computed aliases are unique *per plugin type* (Apache computes
them across all types at once), and only one version of a plugin can be installed at a time (one
Python environment), so ``connector.plugin.version``-style selection has a single candidate.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import importlib
import importlib.metadata
import inspect
import logging
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from kconnect.api.connector import Connector, SinkConnector, SourceConnector
from kconnect.api.converter import Converter, HeaderConverter
from kconnect.api.errors import ConnectError
from kconnect.api.transforms import ConfigProvider, Predicate, Transformation

log = logging.getLogger(__name__)

#: Version reported by plugins that do not define one (Apache's ``PluginDesc.UNDEFINED_VERSION``).
UNDEFINED_VERSION = "undefined"
#: Location reported for plugins shipped with kconnect itself or given as classes (Apache: "classpath").
CLASSPATH = "classpath"
_OWN_DISTRIBUTION = "kconnect"


class PluginKind(enum.Enum):
    """A plugin interface; the value is its entry-point group."""

    CONNECTOR = "kconnect.connectors"
    CONVERTER = "kconnect.converters"
    HEADER_CONVERTER = "kconnect.header_converters"
    TRANSFORMATION = "kconnect.transforms"
    PREDICATE = "kconnect.predicates"
    CONFIG_PROVIDER = "kconnect.config_providers"

    @property
    def group(self) -> str:
        return self.value

    @property
    def base_class(self) -> type[Any]:
        return _BASES[self]

    @property
    def interface_name(self) -> str:
        """Apache's interface simple name, used in error messages and to prune aliases."""
        return _INTERFACE_NAMES[self]

    @property
    def plural(self) -> str:
        """How Apache's "available ... are" messages call this kind."""
        return _PLURALS[self]

    @property
    def alias_suffix(self) -> str:
        return "Connector" if self is PluginKind.CONNECTOR else self.interface_name


_BASES: dict[PluginKind, type[Any]] = {
    PluginKind.CONNECTOR: Connector,
    PluginKind.CONVERTER: Converter,
    PluginKind.HEADER_CONVERTER: HeaderConverter,
    PluginKind.TRANSFORMATION: Transformation,
    PluginKind.PREDICATE: Predicate,
    PluginKind.CONFIG_PROVIDER: ConfigProvider,
}
_INTERFACE_NAMES: dict[PluginKind, str] = {
    PluginKind.CONNECTOR: "Connector",
    PluginKind.CONVERTER: "Converter",
    PluginKind.HEADER_CONVERTER: "HeaderConverter",
    PluginKind.TRANSFORMATION: "Transformation",
    PluginKind.PREDICATE: "Predicate",
    PluginKind.CONFIG_PROVIDER: "ConfigProvider",
}
_PLURALS: dict[PluginKind, str] = {
    PluginKind.CONNECTOR: "connectors",
    PluginKind.CONVERTER: "converters",
    PluginKind.HEADER_CONVERTER: "header converters",
    PluginKind.TRANSFORMATION: "transformations",
    PluginKind.PREDICATE: "predicates",
    PluginKind.CONFIG_PROVIDER: "ConfigProviders",
}
#: Apache's PluginType names (lowercase), per kind; connectors are "source" or "sink".
_TYPE_NAMES: dict[PluginKind, str] = {
    PluginKind.CONVERTER: "converter",
    PluginKind.HEADER_CONVERTER: "header_converter",
    PluginKind.TRANSFORMATION: "transformation",
    PluginKind.PREDICATE: "predicate",
    PluginKind.CONFIG_PROVIDER: "configprovider",
}
#: ``GET /connector-plugins`` order: sinks, sources, transformations, predicates, converters, header converters.
_LISTING_ORDER = ("sink", "source", "transformation", "predicate", "converter", "header_converter")
_CONNECTOR_TYPES = ("sink", "source")


class PluginNotFoundError(ConnectError):
    """No plugin of the requested kind matches the name (the message is Apache's)."""

    def __init__(self, message: str, kind: PluginKind, name: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.name = name


class AmbiguousPluginError(PluginNotFoundError):
    """More than one plugin claims the name; the fully qualified class name must be used."""


class PluginLoadError(ConnectError):
    """A registered plugin could not be imported or is not a valid plugin (strict registries only)."""


@dataclass(frozen=True, eq=False)
class PluginDesc:
    """One installed plugin, like Apache's ``PluginDesc``."""

    plugin_class: type[Any]
    class_name: str
    type: str
    version: str
    location: str = CLASSPATH
    #: Entry-point names this class was registered under (may be empty).
    names: tuple[str, ...] = ()
    #: The distribution (Python package) that registered it, if any.
    distribution: str | None = None
    kind: PluginKind = field(default=PluginKind.CONNECTOR)

    @property
    def simple_name(self) -> str:
        return simple_name(self.class_name)

    @property
    def pruned_name(self) -> str:
        return pruned_name(self.class_name, self.kind.alias_suffix)

    def to_json(self) -> dict[str, str]:
        """The ``GET /connector-plugins`` entry; ``version`` is left out when it is undefined."""
        out = {"class": self.class_name, "type": self.type}
        if self.version != UNDEFINED_VERSION:
            out["version"] = self.version
        return out

    def __str__(self) -> str:
        return (
            f"PluginDesc{{klass=class {self.class_name}, name='{self.class_name}', version='{self.version}', "
            f"encodedVersion={self.version}, type={self.type}, typeName='{self.type}', location='{self.location}'}}"
        )

    def __repr__(self) -> str:
        return str(self)


def plugin_class_name(cls: type[Any]) -> str:
    """The name a plugin reports: its declared ``class_name``, else ``module.QualName``."""
    declared = getattr(cls, "class_name", "")
    if isinstance(declared, str) and declared:
        return declared
    return f"{cls.__module__}.{cls.__qualname__}"


def simple_name(class_name: str) -> str:
    """Java's ``Class.getSimpleName``: the last segment, also after ``$`` for nested classes."""
    return class_name.rsplit(".", 1)[-1].rsplit("$", 1)[-1]


def pruned_name(class_name: str, suffix: str) -> str:
    """The simple name cut at the last occurrence of ``suffix`` (Apache's ``PluginUtils.prunedName``)."""
    simple = simple_name(class_name)
    pos = simple.rfind(suffix)
    return simple[:pos] if pos > 0 else simple


def connector_type(cls: type[Any]) -> str:
    """``source``, ``sink`` or ``unknown``: the ``type`` shown by ``GET /connectors/{name}``."""
    if isinstance(cls, type):
        if issubclass(cls, SourceConnector):
            return "source"
        if issubclass(cls, SinkConnector):
            return "sink"
    return "unknown"


def _plugin_version(cls: type[Any]) -> str:
    fn = getattr(cls, "version", None)
    if fn is None:
        return UNDEFINED_VERSION
    try:
        value = fn()
    except Exception:  # an instance method or a broken plugin: Apache reports it as undefined too
        return UNDEFINED_VERSION
    return value if isinstance(value, str) and value.strip() else UNDEFINED_VERSION


@dataclass(frozen=True)
class _Candidate:
    """Something that may yield a plugin class: an entry point or an explicit class."""

    name: str | None
    load: Callable[[], object]
    origin: str
    distribution: str | None = None
    distribution_version: str | None = None


@dataclass
class _Group:
    descs: list[PluginDesc]
    #: class_name -> desc (first registered wins; duplicates are logged).
    by_class_name: dict[str, PluginDesc]
    #: explicit aliases and entry-point names -> every desc claiming them.
    by_name: dict[str, list[PluginDesc]]
    #: simple and pruned names -> every desc claiming them (unique ones are usable aliases).
    by_alias: dict[str, list[PluginDesc]]


def _installed_entry_points(group: str) -> Iterable[importlib.metadata.EntryPoint]:
    return importlib.metadata.entry_points(group=group)


class PluginRegistry:
    """Resolves plugin names to classes and lists the installed plugins.

    Build it with :meth:`from_entry_points` (the installed distributions) or :meth:`from_classes`
    (an in-memory twin for unit tests). Lookups are thread-safe.
    """

    def __init__(
        self,
        *,
        entry_points: Callable[[str], Iterable[importlib.metadata.EntryPoint]] | None = _installed_entry_points,
        classes: Mapping[PluginKind, Sequence[type[Any]]] | None = None,
        strict: bool = False,
        allow_dotted_paths: bool = True,
    ) -> None:
        self._entry_points = entry_points
        self._classes: dict[PluginKind, list[type[Any]]] = {k: list(v) for k, v in (classes or {}).items()}
        self.strict = strict
        self.allow_dotted_paths = allow_dotted_paths
        self._groups: dict[PluginKind, _Group] = {}
        self._dotted: dict[tuple[PluginKind, str], type[Any]] = {}
        self._lock = threading.RLock()

    # --- construction ------------------------------------------------------------------------
    @classmethod
    def from_entry_points(
        cls,
        *,
        strict: bool = False,
        extra_classes: Mapping[PluginKind, Sequence[type[Any]]] | None = None,
    ) -> PluginRegistry:
        """The plugins registered by the installed distributions (plus ``extra_classes``)."""
        return cls(entry_points=_installed_entry_points, classes=extra_classes, strict=strict)

    @classmethod
    def from_classes(
        cls,
        *,
        connectors: Sequence[type[Connector]] = (),
        converters: Sequence[type[Converter]] = (),
        header_converters: Sequence[type[HeaderConverter]] = (),
        transformations: Sequence[type[Transformation[Any]]] = (),
        predicates: Sequence[type[Predicate[Any]]] = (),
        config_providers: Sequence[type[ConfigProvider]] = (),
        strict: bool = False,
        allow_dotted_paths: bool = True,
    ) -> PluginRegistry:
        """An in-memory registry of exactly these classes; no entry point is read."""
        classes: dict[PluginKind, Sequence[type[Any]]] = {
            PluginKind.CONNECTOR: connectors,
            PluginKind.CONVERTER: converters,
            PluginKind.HEADER_CONVERTER: header_converters,
            PluginKind.TRANSFORMATION: transformations,
            PluginKind.PREDICATE: predicates,
            PluginKind.CONFIG_PROVIDER: config_providers,
        }
        return cls(entry_points=None, classes=classes, strict=strict, allow_dotted_paths=allow_dotted_paths)

    # --- lookups -----------------------------------------------------------------------------
    def resolve(self, kind: PluginKind, name: str) -> type[Any]:
        """The class that ``name`` (class name, alias or dotted path) designates; raise if none."""
        return self.describe(kind, name).plugin_class

    def describe(self, kind: PluginKind, name: str) -> PluginDesc:
        """Like :meth:`resolve`, but return the plugin's descriptor."""
        key = name.strip()
        group = self._group(kind)
        desc = group.by_class_name.get(key)
        if desc is not None:
            return desc
        named = _unique(group.by_name.get(key, []))
        if len(named) == 1:
            return named[0]
        if len(named) > 1:
            raise self._ambiguous(kind, name, named)
        aliased = _unique(group.by_alias.get(key, []))
        if len(aliased) == 1:
            return aliased[0]
        dotted = self._dotted_path(kind, key)
        if dotted is not None:
            return dotted
        if len(aliased) > 1 and kind is PluginKind.CONNECTOR:
            # Apache's connector lookup falls back to matching simple names and reports the clash.
            raise self._ambiguous(kind, name, aliased)
        raise self._not_found(kind, name, group)

    def find(self, kind: PluginKind, name: str) -> type[Any] | None:
        """Like :meth:`resolve` but return None when nothing matches."""
        try:
            return self.resolve(kind, name)
        except PluginNotFoundError:
            return None

    def describe_any(self, name: str, kinds: Iterable[PluginKind] | None = None) -> PluginDesc | None:
        """The first plugin of any of ``kinds`` (default: all but config providers) that ``name`` designates.

        For ``GET /connector-plugins/{plugin}/config``, which takes a name of any plugin type.
        """
        order = (
            kinds
            if kinds is not None
            else (
                PluginKind.CONNECTOR,
                PluginKind.CONVERTER,
                PluginKind.HEADER_CONVERTER,
                PluginKind.TRANSFORMATION,
                PluginKind.PREDICATE,
            )
        )
        for kind in order:
            try:
                return self.describe(kind, name)
            except PluginNotFoundError:
                continue
        return None

    def connector_class(self, name: str) -> type[Connector]:
        return cast("type[Connector]", self.resolve(PluginKind.CONNECTOR, name))

    def converter_class(self, name: str) -> type[Converter]:
        return cast("type[Converter]", self.resolve(PluginKind.CONVERTER, name))

    def header_converter_class(self, name: str) -> type[HeaderConverter]:
        return cast("type[HeaderConverter]", self.resolve(PluginKind.HEADER_CONVERTER, name))

    def transformation_class(self, name: str) -> type[Transformation[Any]]:
        return cast("type[Transformation[Any]]", self.resolve(PluginKind.TRANSFORMATION, name))

    def predicate_class(self, name: str) -> type[Predicate[Any]]:
        return cast("type[Predicate[Any]]", self.resolve(PluginKind.PREDICATE, name))

    def config_provider_class(self, name: str) -> type[ConfigProvider]:
        return cast("type[ConfigProvider]", self.resolve(PluginKind.CONFIG_PROVIDER, name))

    # --- listings ----------------------------------------------------------------------------
    def descriptors(self, kind: PluginKind) -> list[PluginDesc]:
        """Every valid plugin of ``kind``, sorted by class name then version."""
        return sorted(self._group(kind).descs, key=lambda d: (d.class_name, d.version))

    def plugins(self, connectors_only: bool = True) -> list[PluginDesc]:
        """Plugins in ``GET /connector-plugins`` order (config providers are never listed)."""
        kinds = [PluginKind.CONNECTOR]
        if not connectors_only:
            kinds += [
                PluginKind.TRANSFORMATION,
                PluginKind.PREDICATE,
                PluginKind.CONVERTER,
                PluginKind.HEADER_CONVERTER,
            ]
        descs = [d for k in kinds for d in self._group(k).descs]
        return sorted(descs, key=lambda d: (_LISTING_ORDER.index(d.type), d.class_name, d.version))

    def connector_plugins_json(self, connectors_only: bool = True) -> list[dict[str, str]]:
        """The ``GET /connector-plugins?connectorsOnly=...`` response body."""
        return [d.to_json() for d in self.plugins(connectors_only)]

    def load_all(self) -> None:
        """Load every group now (e.g. at worker start-up to log what is installed)."""
        for kind in PluginKind:
            self._group(kind)

    # --- internals ---------------------------------------------------------------------------
    def _group(self, kind: PluginKind) -> _Group:
        group = self._groups.get(kind)
        if group is not None:
            return group
        with self._lock:
            group = self._groups.get(kind)
            if group is None:
                group = self._load(kind)
                self._groups[kind] = group
            return group

    def _candidates(self, kind: PluginKind) -> list[_Candidate]:
        out: list[_Candidate] = []
        for cls in self._classes.get(kind, []):
            out.append(_Candidate(None, functools.partial(_identity, cls), f"class {plugin_class_name(cls)}"))
        if self._entry_points is not None:
            try:
                eps = list(self._entry_points(kind.group))
            except Exception as e:  # broken metadata of some distribution
                if self.strict:
                    raise PluginLoadError(f"Could not read entry points of group {kind.group}: {e}") from e
                log.warning("Could not read entry points of group %s", kind.group, exc_info=True)
                eps = []
            for ep in eps:
                dist = getattr(ep, "dist", None)
                out.append(
                    _Candidate(
                        ep.name,
                        ep.load,
                        f"entry point {ep.name} = {ep.value} in group {kind.group}",
                        dist.name if dist is not None else None,
                        dist.version if dist is not None else None,
                    )
                )
        return out

    def _load(self, kind: PluginKind) -> _Group:
        descs: list[PluginDesc] = []
        by_class: dict[type[Any], int] = {}
        for cand in self._candidates(kind):
            try:
                obj = cand.load()
            except Exception as e:
                self._skip(f"Failed to load plugin {cand.origin}: {type(e).__name__}: {e}", e)
                continue
            problem = _invalid_reason(kind, obj)
            if problem is not None:
                self._skip(f"Ignoring plugin {cand.origin}: {problem}", None)
                continue
            cls = cast("type[Any]", obj)
            names = (cand.name,) if cand.name else ()
            if cls in by_class:  # same class under several entry points: one descriptor, all names
                i = by_class[cls]
                old = descs[i]
                merged = old.names + tuple(n for n in names if n not in old.names)
                descs[i] = dataclasses.replace(old, names=merged)
                continue
            location = CLASSPATH
            if cand.distribution is not None and cand.distribution != _OWN_DISTRIBUTION:
                location = f"{cand.distribution}=={cand.distribution_version}"
            by_class[cls] = len(descs)
            descs.append(
                PluginDesc(
                    plugin_class=cls,
                    class_name=plugin_class_name(cls),
                    type=connector_type(cls) if kind is PluginKind.CONNECTOR else _TYPE_NAMES[kind],
                    version=_plugin_version(cls),
                    location=location,
                    names=names,
                    distribution=cand.distribution,
                    kind=kind,
                )
            )

        by_class_name: dict[str, PluginDesc] = {}
        by_name: dict[str, list[PluginDesc]] = {}
        by_alias: dict[str, list[PluginDesc]] = {}
        for d in descs:
            if d.class_name in by_class_name:
                log.warning(
                    "Plugin class name %s is claimed by %s and %s; using the first",
                    d.class_name,
                    by_class_name[d.class_name].plugin_class,
                    d.plugin_class,
                )
            else:
                by_class_name[d.class_name] = d
            explicit = [*getattr(d.plugin_class, "aliases", ()), *d.names]
            for n in dict.fromkeys(explicit):
                by_name.setdefault(n, []).append(d)
            for n in _computed_aliases(d):
                by_alias.setdefault(n, []).append(d)
        for alias, claimants in by_alias.items():
            if len(_unique(claimants)) > 1:
                log.debug(
                    "Ignoring ambiguous alias '%s' since it refers to multiple distinct plugins %s",
                    alias,
                    sorted(d.class_name for d in claimants),
                )
        log.debug("Loaded %d %s", len(descs), kind.plural)
        return _Group(descs, by_class_name, by_name, by_alias)

    def _skip(self, message: str, cause: BaseException | None) -> None:
        if self.strict:
            raise PluginLoadError(message) from cause
        log.warning("%s", message)
        if cause is not None:
            log.debug("Cause of the plugin load failure", exc_info=cause)

    def _dotted_path(self, kind: PluginKind, name: str) -> PluginDesc | None:
        if not self.allow_dotted_paths or not (":" in name or "." in name):
            return None
        key = (kind, name)
        cls = self._dotted.get(key)
        if cls is None:
            found = _import_dotted(name)
            if found is None or _invalid_reason(kind, found) is not None:
                return None
            cls = cast("type[Any]", found)
            with self._lock:
                self._dotted[key] = cls
        # A registered class reached through its Python path keeps its registered descriptor.
        for d in self._group(kind).descs:
            if d.plugin_class is cls:
                return d
        return PluginDesc(
            plugin_class=cls,
            class_name=plugin_class_name(cls),
            type=connector_type(cls) if kind is PluginKind.CONNECTOR else _TYPE_NAMES[kind],
            version=_plugin_version(cls),
            kind=kind,
        )

    def _available(self, kind: PluginKind, group: _Group) -> str:
        return ", ".join(str(d) for d in sorted(group.descs, key=lambda d: (d.class_name, d.version)))

    def _not_found(self, kind: PluginKind, name: str, group: _Group) -> PluginNotFoundError:
        return PluginNotFoundError(
            f"Failed to find any class that implements {kind.interface_name} and which name matches {name}, "
            f"available {kind.plural} are: {self._available(kind, group)}",
            kind,
            name,
        )

    def _ambiguous(self, kind: PluginKind, name: str, matches: list[PluginDesc]) -> AmbiguousPluginError:
        found = ", ".join(str(d) for d in sorted(matches, key=lambda d: (d.class_name, d.version)))
        return AmbiguousPluginError(
            f"More than one {kind.interface_name.lower()} matches alias {name}. "
            f"Please use full package and class name instead. Classes found: {found}",
            kind,
            name,
        )


def _computed_aliases(desc: PluginDesc) -> list[str]:
    """The simple name, and the simple name pruned of each plugin interface the class implements.

    Apache computes aliases once for all plugin types, so a class that is both a Converter and a
    HeaderConverter (JsonConverter) is ``Json`` as a header converter too.
    """
    names = [desc.simple_name, desc.pruned_name]
    for kind in PluginKind:
        if issubclass(desc.plugin_class, kind.base_class):
            names.append(pruned_name(desc.class_name, kind.alias_suffix))
    return list(dict.fromkeys(names))


def _identity(obj: object) -> object:
    return obj


def _unique(descs: list[PluginDesc]) -> list[PluginDesc]:
    seen: dict[type[Any], PluginDesc] = {}
    for d in descs:
        seen.setdefault(d.plugin_class, d)
    return list(seen.values())


def _invalid_reason(kind: PluginKind, obj: object) -> str | None:
    if not isinstance(obj, type):
        return f"{obj!r} is not a class"
    if not issubclass(obj, kind.base_class):
        return f"{obj.__module__}.{obj.__qualname__} does not extend {kind.interface_name}"
    if inspect.isabstract(obj):
        return f"{obj.__module__}.{obj.__qualname__} is abstract"
    if kind is PluginKind.CONNECTOR and connector_type(obj) == "unknown":
        return f"{obj.__module__}.{obj.__qualname__} is neither a SourceConnector nor a SinkConnector"
    return None


def _import_dotted(name: str) -> object | None:
    """Import ``module:Qual.Name`` or ``module.Name``; None when that fails."""
    if ":" in name:
        module_name, _, qualname = name.partition(":")
        candidates = [(module_name, qualname)]
    else:
        parts = name.split(".")
        # Try the longest module prefix first: ``a.b.C`` is ``C`` in ``a.b``, then ``b.C`` in ``a``.
        candidates = [(".".join(parts[:i]), ".".join(parts[i:])) for i in range(len(parts) - 1, 0, -1)]
    for module_name, qualname in candidates:
        if not module_name or not qualname:
            continue
        try:
            obj: object = importlib.import_module(module_name)
        except ImportError:
            continue
        except Exception:
            log.warning("Importing %s to find plugin %s failed", module_name, name, exc_info=True)
            continue
        try:
            for attr in qualname.split("."):
                obj = getattr(obj, attr)
        except AttributeError:
            continue
        return obj
    return None


_default: PluginRegistry | None = None
_default_lock = threading.Lock()


def default_registry() -> PluginRegistry:
    """The process-wide registry of installed plugins (created on first use)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = PluginRegistry.from_entry_points()
        return _default
