"""Tutorial steps and their expected verdicts, shipped as data in ``manifests/<tutorial>/``.

Every tutorial folder holds one manifest file per step (``00-baseline.yaml``, ``01-...``) and a ``tutorial.yaml``
(schema ``netpolkit-tutorial/v1``) that lists the steps in order with the verdicts each step must produce::

    >>> from netpolkit.course import Tutorial, check_step, reachability_for
    >>> aks = Tutorial.load("aks")                                   # doctest: +SKIP
    >>> reach = reachability_for(aks, "s3a-api-netpol")              # doctest: +SKIP
    >>> check_step(reach, aks.step("s3a-api-netpol"))                # doctest: +SKIP

:meth:`Tutorial.cluster_at` replays the steps cumulatively (deletions first, then the step's objects, an object with
the same kind/namespace/name replacing the old one). Endpoint ids follow ``replicas="one"``: each workload is one
pod named ``namespace/<workload>``; externals are ``external/<name>``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, NoReturn

import pandas as pd
import yaml

from netpolkit.cluster import Cluster
from netpolkit.errors import PolicyError, Where
from netpolkit.io.manifests import Document, read_documents
from netpolkit.matrix import Reachability, reachability
from netpolkit.model.ports import PortQuery

__all__ = [
    "ENV_VAR",
    "SCHEMA",
    "Deletion",
    "Expectation",
    "Pitfall",
    "Step",
    "Tutorial",
    "Variant",
    "check",
    "check_step",
    "concepts",
    "corrections",
    "manifests_dir",
    "reachability_for",
    "tutorials",
]

ENV_VAR = "NETPOLKIT_MANIFESTS"
SCHEMA = "netpolkit-tutorial/v1"
CONCEPTS_SCHEMA = "netpolkit-concepts/v1"
TUTORIAL_FILE = "tutorial.yaml"

EXPECT_COLUMNS = ("from", "to", "port", "protocol", "expected", "via", "test", "why", "cell")
CHECK_COLUMNS = ("from", "to", "port", "protocol", "via", "test", "expected", "computed", "ok")

_TOP_KEYS = {"schema", "id", "title", "source", "profile", "externals", "steps", "variants", "pitfalls"}
_STEP_KEYS = {"id", "file", "title", "tutorial_step", "supplementary", "summary", "delete", "expect"}
_VARIANT_KEYS = {"id", "replaces_in_step", "file", "title", "summary", "expect"}
_EXPECT_KEYS = {"from", "to", "port", "protocol", "allowed", "via", "test", "why", "cell"}
_DELETE_KEYS = {"apiVersion", "kind", "namespace", "name"}
_PITFALL_KEYS = {"id", "title", "text"}


# ---------------------------------------------------------------------------------------------- locating data


def manifests_dir() -> Path:
    """The ``manifests/`` folder that holds the tutorials.

    Looked up in this order: the environment variable ``NETPOLKIT_MANIFESTS``; the ``manifests/`` folder next to
    the ``netpolkit`` package (a source checkout, an editable install, Binder); a ``manifests/`` folder next to a
    ``pyproject.toml`` in the current directory or one of its parents. Raises FileNotFoundError otherwise.
    """
    env = os.environ.get(ENV_VAR)
    if env:
        path = Path(env).expanduser()
        if not path.is_dir():
            raise FileNotFoundError(f"{ENV_VAR}={env!r} is not a folder")
        return path.resolve()
    beside_package = Path(__file__).resolve().parents[1] / "manifests"
    if beside_package.is_dir():
        return beside_package
    cwd = Path.cwd().resolve()
    for folder in (cwd, *cwd.parents):
        if (folder / "manifests").is_dir() and (folder / "pyproject.toml").is_file():
            return folder / "manifests"
    raise FileNotFoundError(
        "cannot find the netpolkit 'manifests/' folder: run from a clone of the netpolkit repository, or set "
        f"the environment variable {ENV_VAR} to the folder (e.g. export {ENV_VAR}=path/to/netpolkit/manifests)"
    )


def tutorials() -> list[str]:
    """Ids of the tutorials found in :func:`manifests_dir` (folders holding a ``tutorial.yaml``), sorted."""
    root = manifests_dir()
    return sorted(p.parent.name for p in root.glob(f"*/{TUTORIAL_FILE}") if p.is_file())


# ---------------------------------------------------------------------------------------------- data classes


@dataclass(frozen=True)
class Expectation:
    """One expected verdict: may ``src`` open a connection to ``dst`` on ``protocol``/``port`` (a pod port)?"""

    src: str
    dst: str
    port: int
    protocol: str
    allowed: bool
    via: str | None = None
    test: str | None = None
    why: str = ""
    cell: str | None = None

    @property
    def port_spec(self) -> str:
        """The port as :meth:`netpolkit.Reachability.allowed` takes it, e.g. ``"TCP/80"``."""
        return f"{self.protocol}/{self.port}"


@dataclass(frozen=True)
class Deletion:
    """An object a step removes before applying its file (``kubectl delete``)."""

    kind: str
    namespace: str | None
    name: str
    api_version: str | None = None


@dataclass(frozen=True)
class Pitfall:
    """A mistake or misleading statement of a tutorial, with the correction (course material)."""

    id: str
    title: str
    text: str


def _expect_frame(expect: Sequence[Expectation]) -> pd.DataFrame:
    rows = [
        {
            "from": e.src,
            "to": e.dst,
            "port": e.port,
            "protocol": e.protocol,
            "expected": e.allowed,
            "via": e.via,
            "test": e.test,
            "why": e.why,
            "cell": e.cell,
        }
        for e in expect
    ]
    return pd.DataFrame(rows, columns=list(EXPECT_COLUMNS))


class _Manifested:
    """What a step and a variant share: a manifest file and expectations."""

    file: Path
    expect: tuple[Expectation, ...]

    def documents(self) -> list[Document]:
        """The objects of the manifest file, as Documents that remember the file they came from."""
        return read_documents(self.file)

    def expect_frame(self) -> pd.DataFrame:
        """The expectations as a DataFrame: from, to, port, protocol, expected, via, test, why, cell."""
        return _expect_frame(self.expect)


@dataclass(frozen=True)
class Step(_Manifested):
    """One tutorial step: the manifest file it applies, what it deletes first, and the verdicts it must produce."""

    id: str
    title: str
    file: Path
    tutorial_step: bool
    supplementary: bool
    summary: str
    delete: tuple[Deletion, ...]
    expect: tuple[Expectation, ...]


@dataclass(frozen=True)
class Variant(_Manifested):
    """A what-if: the manifest file of step ``replaces_in_step`` swapped for another one."""

    id: str
    title: str
    file: Path
    replaces_in_step: str
    summary: str
    expect: tuple[Expectation, ...]


@dataclass(frozen=True)
class Tutorial:
    """A tutorial: its steps in order, what-if variants and pitfalls, read from ``manifests/<id>/tutorial.yaml``."""

    id: str
    title: str
    source: str
    profile: str
    externals: Mapping[str, str] = field(hash=False)
    steps: tuple[Step, ...]
    variants: tuple[Variant, ...]
    pitfalls: tuple[Pitfall, ...]
    folder: Path

    # ---- loading ---------------------------------------------------------------------------------------------

    @classmethod
    def load(cls, name: str | os.PathLike[str]) -> Tutorial:
        """Load a tutorial by id (``"aks"``) from :func:`manifests_dir`, or from a folder holding ``tutorial.yaml``.

        Raises :class:`~netpolkit.PolicyError` naming the file and field when ``tutorial.yaml`` is malformed,
        FileNotFoundError when the tutorial or a step file does not exist.
        """
        if isinstance(name, os.PathLike) or "/" in name or os.sep in name:
            folder = Path(name)
            if not (folder / TUTORIAL_FILE).is_file():
                raise FileNotFoundError(f"no {TUTORIAL_FILE} in {folder}")
        else:
            folder = manifests_dir() / str(name)
            if not (folder / TUTORIAL_FILE).is_file():
                known = ", ".join(tutorials()) or "none"
                raise FileNotFoundError(f"no tutorial {str(name)!r} in {manifests_dir()} (found: {known})")
        return _parse_tutorial(folder)

    # ---- lookup ----------------------------------------------------------------------------------------------

    @property
    def step_ids(self) -> tuple[str, ...]:
        """The step ids in order."""
        return tuple(s.id for s in self.steps)

    def step(self, step_id: str) -> Step:
        """The step with this id (KeyError listing the ids otherwise)."""
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(f"tutorial {self.id} has no step {step_id!r}; steps: {', '.join(self.step_ids)}")

    def variant(self, variant_id: str) -> Variant:
        """The variant with this id (KeyError listing the ids otherwise)."""
        for variant in self.variants:
            if variant.id == variant_id:
                return variant
        known = ", ".join(v.id for v in self.variants) or "none"
        raise KeyError(f"tutorial {self.id} has no variant {variant_id!r}; variants: {known}")

    def find(self, step_or_variant_id: str) -> Step | Variant:
        """A step or a variant by id."""
        for item in (*self.steps, *self.variants):
            if item.id == step_or_variant_id:
                return item
        known = ", ".join((*self.step_ids, *(v.id for v in self.variants)))
        raise KeyError(f"tutorial {self.id} has no step or variant {step_or_variant_id!r}; known: {known}")

    def expect_frame(self) -> pd.DataFrame:
        """Every expectation of every step and variant, with a leading ``step`` column."""
        frames = [item.expect_frame().assign(step=item.id) for item in (*self.steps, *self.variants)]
        frame = pd.concat(frames, ignore_index=True)
        return frame[["step", *EXPECT_COLUMNS]]

    # ---- cluster states --------------------------------------------------------------------------------------

    def _baseline(self, replicas: str) -> Cluster:
        if not self.steps:
            raise ValueError(f"tutorial {self.id} has no steps")
        return Cluster.from_documents(self.steps[0].documents(), dict(self.externals), replicas=replicas)

    @staticmethod
    def _advance(cluster: Cluster, step: Step | Variant, deletions: Iterable[Deletion]) -> Cluster:
        for gone in deletions:
            cluster = cluster.delete(gone.kind, gone.namespace, gone.name, api_version=gone.api_version)
        return cluster.apply(step.documents())

    def cluster_at(self, step_id: str, *, replicas: str = "one") -> Cluster:
        """The cluster after ``step_id``: the baseline, then every later step up to it (deletions, then its file).

        Steps are replayed in file order, so supplementary steps (listed last) are included only when asked for
        or when a later step is asked for.
        """
        last = self.steps.index(self.step(step_id))
        cluster = self._baseline(replicas)
        for step in self.steps[1 : last + 1]:
            cluster = self._advance(cluster, step, step.delete)
        return cluster

    def cluster_for_variant(self, variant_id: str, *, replicas: str = "one") -> Cluster:
        """The cluster of the step the variant replaces, with the variant's file applied instead of the step's."""
        variant = self.variant(variant_id)
        replaced = self.step(variant.replaces_in_step)
        index = self.steps.index(replaced)
        if index == 0:
            raise ValueError(f"variant {variant_id} cannot replace the baseline step")
        before = self.cluster_at(self.steps[index - 1].id, replicas=replicas)
        return self._advance(before, variant, replaced.delete)

    def cluster_for(self, step_or_variant_id: str, *, replicas: str = "one") -> Cluster:
        """:meth:`cluster_at` for a step id, :meth:`cluster_for_variant` for a variant id."""
        item = self.find(step_or_variant_id)
        if isinstance(item, Variant):
            return self.cluster_for_variant(item.id, replicas=replicas)
        return self.cluster_at(item.id, replicas=replicas)


# ---------------------------------------------------------------------------------------------- checking


def reachability_for(
    tutorial: Tutorial | str,
    step_id: str,
    *,
    profile: str | None = None,
    engine: str = "vectorized",
) -> Reachability:
    """Reachability of the cluster after ``step_id`` (a step or variant id).

    Ports: every (protocol, port) the step's expectations mention plus every container port the pods declare.
    ``profile`` defaults to the tutorial's profile.
    """
    tut = tutorial if isinstance(tutorial, Tutorial) else Tutorial.load(tutorial)
    item = tut.find(step_id)
    cluster = tut.cluster_for(step_id)
    ports = [PortQuery.parse(e.port_spec) for e in item.expect]
    ports.extend(cluster.declared_ports())
    unique = list(dict.fromkeys(ports))
    return reachability(cluster, ports=unique, profile=profile or tut.profile, engine=engine)


def check_step(reach: Reachability, step_or_variant: Step | Variant) -> pd.DataFrame:
    """Compare a step's (or variant's) expectations with computed verdicts.

    One row per expectation: from, to, port, protocol, via, test, expected, computed, ok.
    """
    rows = []
    for e in step_or_variant.expect:
        computed = bool(reach.allowed(e.src, e.dst, e.port_spec))
        rows.append(
            {
                "from": e.src,
                "to": e.dst,
                "port": e.port,
                "protocol": e.protocol,
                "via": e.via,
                "test": e.test,
                "expected": e.allowed,
                "computed": computed,
                "ok": computed == e.allowed,
            }
        )
    return pd.DataFrame(rows, columns=list(CHECK_COLUMNS))


def check(tutorial: Tutorial | str, step_or_variant_id: str, *, engine: str = "vectorized") -> pd.DataFrame:
    """:func:`check_step` for one step or variant of a tutorial, computing its reachability first."""
    tut = tutorial if isinstance(tutorial, Tutorial) else Tutorial.load(tutorial)
    reach = reachability_for(tut, step_or_variant_id, engine=engine)
    return check_step(reach, tut.find(step_or_variant_id))


# ---------------------------------------------------------------------------------------------- concepts


def _load_concepts() -> dict[str, Any]:
    path = manifests_dir() / "concepts.yaml"
    data = _read_yaml(path)
    if data.get("schema") != CONCEPTS_SCHEMA:
        raise PolicyError(f"expected schema: {CONCEPTS_SCHEMA}", where=Where(str(path)), path="schema")
    return data


def concepts() -> pd.DataFrame:
    """The course checklist (``manifests/concepts.yaml``): columns n, title, rule, shown_in (a list)."""
    rows = _load_concepts().get("concepts") or []
    return pd.DataFrame(rows, columns=["n", "title", "rule", "shown_in"])


def corrections() -> pd.DataFrame:
    """Claims of the general deep dive that the course corrects: columns claim, correction."""
    rows = _load_concepts().get("corrections") or []
    return pd.DataFrame(rows, columns=["claim", "correction"])


# ---------------------------------------------------------------------------------------------- parsing


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise PolicyError(f"invalid YAML: {exc}", where=Where(str(path))) from None
    if not isinstance(data, dict):
        raise PolicyError("expected a mapping at the top level", where=Where(str(path)))
    return data


class _Fields:
    """Strict access to one mapping of tutorial.yaml, with the field path for error messages."""

    def __init__(self, data: Any, where: Where, path: str, allowed: set[str]) -> None:
        self.where, self.path = where, path
        if not isinstance(data, Mapping):
            self.fail(f"expected a mapping, got {type(data).__name__}")
        unknown = sorted(set(data) - allowed)
        if unknown:
            fields = "unknown field" + ("s" if len(unknown) > 1 else "")
            self.fail(f"{fields} {', '.join(map(str, unknown))}; expected: {', '.join(sorted(allowed))}")
        self.data = data

    def fail(self, message: str, key: str | None = None) -> NoReturn:
        path = f"{self.path}.{key}" if key and self.path else (key or self.path)
        raise PolicyError(message, where=self.where, path=path or None)

    def get(self, key: str, kind: type | tuple[type, ...], *, required: bool = True, default: Any = None) -> Any:
        if key not in self.data or self.data[key] is None:
            if required:
                self.fail("required field is missing", key)
            return default
        value = self.data[key]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            self.fail(f"expected {names}, got {type(value).__name__}", key)
        return value


def _parse_expect(items: Any, where: Where, path: str) -> tuple[Expectation, ...]:
    if not isinstance(items, list):
        raise PolicyError("expected a list", where=where, path=path)
    out = []
    for i, raw in enumerate(items):
        f = _Fields(raw, where, f"{path}[{i}]", _EXPECT_KEYS)
        protocol = f.get("protocol", str).upper()
        if protocol not in ("TCP", "UDP", "SCTP"):
            f.fail(f"protocol must be TCP, UDP or SCTP, got {protocol!r}", "protocol")
        port = f.get("port", int)
        if not 1 <= port <= 65535:
            f.fail(f"must be 1-65535, got {port}", "port")
        for key in ("from", "to"):
            value = f.get(key, str)
            if value.count("/") != 1 or not all(value.split("/")):
                f.fail(f"expected an endpoint id 'namespace/name' or 'external/name', got {value!r}", key)
        out.append(
            Expectation(
                src=f.get("from", str),
                dst=f.get("to", str),
                port=port,
                protocol=protocol,
                allowed=f.get("allowed", bool),
                via=f.get("via", str, required=False),
                test=f.get("test", str, required=False),
                why=f.get("why", str, required=False, default=""),
                cell=f.get("cell", str, required=False),
            )
        )
    return tuple(out)


def _step_file(folder: Path, f: _Fields) -> Path:
    rel = f.get("file", str)
    path = folder / rel
    if Path(rel).is_absolute() or ".." in Path(rel).parts:
        f.fail(f"must be a path inside the tutorial folder, got {rel!r}", "file")
    if not path.is_file():
        raise FileNotFoundError(f"{f.where.file}: {f.path}.file: no such file {path}")
    return path


def _parse_tutorial(folder: Path) -> Tutorial:
    file = folder / TUTORIAL_FILE
    where = Where(str(file))
    top = _Fields(_read_yaml(file), where, "", _TOP_KEYS)
    if top.get("schema", str) != SCHEMA:
        top.fail(f"expected {SCHEMA}", "schema")
    externals_raw = top.get("externals", dict, required=False, default={})
    externals = {str(k): str(v) for k, v in externals_raw.items()}

    steps = []
    for i, raw in enumerate(top.get("steps", list)):
        f = _Fields(raw, where, f"steps[{i}]", _STEP_KEYS)
        deletions = []
        for j, gone in enumerate(f.get("delete", list, required=False, default=[])):
            d = _Fields(gone, where, f"steps[{i}].delete[{j}]", _DELETE_KEYS)
            deletions.append(
                Deletion(
                    d.get("kind", str),
                    d.get("namespace", str, required=False),
                    d.get("name", str),
                    d.get("apiVersion", str, required=False),
                )
            )
        steps.append(
            Step(
                id=f.get("id", str),
                title=f.get("title", str),
                file=_step_file(folder, f),
                tutorial_step=f.get("tutorial_step", bool, required=False, default=True),
                supplementary=f.get("supplementary", bool, required=False, default=False),
                summary=f.get("summary", str, required=False, default=""),
                delete=tuple(deletions),
                expect=_parse_expect(f.get("expect", list, required=False, default=[]), where, f"steps[{i}].expect"),
            )
        )
    step_ids = [s.id for s in steps]
    if len(set(step_ids)) != len(step_ids):
        top.fail("step ids must be unique", "steps")

    variants = []
    for i, raw in enumerate(top.get("variants", list, required=False, default=[])):
        f = _Fields(raw, where, f"variants[{i}]", _VARIANT_KEYS)
        replaces = f.get("replaces_in_step", str)
        if replaces not in step_ids:
            f.fail(f"no step {replaces!r}", "replaces_in_step")
        variants.append(
            Variant(
                id=f.get("id", str),
                title=f.get("title", str),
                file=_step_file(folder, f),
                replaces_in_step=replaces,
                summary=f.get("summary", str, required=False, default=""),
                expect=_parse_expect(f.get("expect", list, required=False, default=[]), where, f"variants[{i}].expect"),
            )
        )

    pitfalls = []
    for i, raw in enumerate(top.get("pitfalls", list, required=False, default=[])):
        f = _Fields(raw, where, f"pitfalls[{i}]", _PITFALL_KEYS)
        pitfalls.append(Pitfall(f.get("id", str), f.get("title", str), f.get("text", str)))

    return Tutorial(
        id=top.get("id", str),
        title=top.get("title", str),
        source=top.get("source", str, required=False, default=""),
        profile=top.get("profile", str, required=False, default="upstream"),
        externals=MappingProxyType(externals),
        steps=tuple(steps),
        variants=tuple(variants),
        pitfalls=tuple(pitfalls),
        folder=folder,
    )
