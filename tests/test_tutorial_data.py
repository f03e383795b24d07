"""The tutorial data in ``manifests/``: valid YAML, valid Kubernetes objects, consistent step files.

None of these tests evaluates a policy (see ``test_tutorial_expectations.py`` for that). ``netpolkit.course`` is
imported inside the few tests of the reader, so the data tests run even while the evaluator modules are broken.
"""

from __future__ import annotations

import re
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
MANIFESTS = ROOT / "manifests"
TUTORIALS = ("aks", "cilium", "gke", "calico", "guardrails")
K8S_VERSION = "1.33"

# Expectations per step (and variant), counted from the team's tutorial fact files. A cell must never be dropped.
EXPECTED_COUNTS = {
    "aks": {
        "s0-baseline": 9,
        "s1-deny-all": 8,
        "s2-db-netpol": 6,
        "s3a-api-netpol": 4,
        "s3b-label-kube-system": 6,
        "s4-web-netpol": 13,
    },
    "cilium": {
        "s0-baseline": 5,
        "s1-backend-ingress-deny": 5,
        "s2-backend-allow-ingress-frontend": 6,
        "s3-cilium-backend-ingress-deny": 5,
        "s4-cilium-backend-allow-ingress-frontend": 6,
        "s5-networkpolicy-allow-all-to-backend": 4,
        "s6-cilium-ingress-deny-not-frontend": 5,
    },
    "gke": {
        "s0-baseline": 5,
        "s1-default-deny-ingress": 7,
        "s2-allow-lol-yahoo-lol-default": 5,
        "v-or-two-peers": 3,
        "v-both-labels-in-namespaceSelector": 1,
    },
    "calico": {
        "s0-baseline": 9,
        "s1-global-default-deny": 12,
        "s2-wordpress-default-deny": 4,
        "s3-allow-all-in-namespace": 5,
        "s4-allow-egress": 6,
        "s5-allow-ingress-to-wordpress-service": 2,
        "s6-allow-metrics": 2,
        "s7-replace-allow-all-with-wordpress-to-database": 11,
        "s-fix-1-policies-for-traefik-and-metrics": 7,
        "s-fix-2-ingress-rule-on-pod-port": 2,
    },
    "guardrails": {
        "s0-baseline": 6,
        "s1-admin-deny-sandbox": 6,
        "s2-owners-allow-all-namespaces": 5,
        "s3-admin-pass-and-lockdown": 5,
        "s4-owners-narrow-to-web": 6,
        "s5-baseline-default-deny": 5,
        "s6-shop-allow-worker-to-web": 4,
        "v-deny-instead-of-pass": 3,
    },
}
PROFILES = {"aks": "calico", "cilium": "cilium", "gke": "upstream", "calico": "calico", "guardrails": "upstream"}
# Policy kinds of CRDs that kubernetes_validate has no schema for: netpolkit's own strict parser validates them.
CRD_GROUPS = ("policy.networking.k8s.io/", "cilium.io/")

TOP_KEYS = {"schema", "id", "title", "source", "profile", "externals", "steps", "pitfalls"}
STEP_KEYS = {"id", "file", "title", "tutorial_step", "supplementary", "summary", "delete", "expect"}
VARIANT_KEYS = {"id", "replaces_in_step", "file", "title", "summary", "expect"}
EXPECT_REQUIRED = {"from", "to", "port", "protocol", "allowed", "why"}
EXPECT_OPTIONAL = {"via", "test", "cell"}
WORKLOAD_KINDS = {"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job"}

MANIFEST_FILES = sorted(MANIFESTS.rglob("*.yaml"))


def _documents(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]


def _tutorial_yaml(name: str) -> dict:
    return yaml.safe_load((MANIFESTS / name / "tutorial.yaml").read_text(encoding="utf-8"))


def _items(data: dict) -> list[dict]:
    return [*data["steps"], *data.get("variants", [])]


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


# ---------------------------------------------------------------------------------------------- YAML and schema


def test_manifest_folder_has_every_tutorial():
    found = sorted(p.parent.name for p in MANIFESTS.glob("*/tutorial.yaml"))
    assert found == sorted(TUTORIALS)
    assert MANIFEST_FILES, "no YAML files under manifests/"


@pytest.mark.parametrize("path", MANIFEST_FILES, ids=_rel)
def test_file_parses_as_yaml(path: Path):
    docs = _documents(path)
    assert docs, f"{_rel(path)} holds no document"
    assert all(isinstance(d, dict) for d in docs), f"{_rel(path)}: every document must be a mapping"


def _object_files() -> list[Path]:
    return [p for p in MANIFEST_FILES if p.name not in ("tutorial.yaml", "concepts.yaml", "lab.yaml")]


@pytest.mark.parametrize("path", _object_files(), ids=_rel)
def test_objects_pass_kubernetes_schema(path: Path):
    """Every Kubernetes object validates offline in strict mode (unknown fields fail); Calico kinds are skipped;
    the network-policy-api and Cilium kinds go through netpolkit's strict parser (the CRDs' rules)."""
    problems = []
    for i, doc in enumerate(_documents(path)):
        assert {"apiVersion", "kind", "metadata"} <= set(doc), f"{_rel(path)} document {i}: not an object"
        if doc["apiVersion"].startswith("projectcalico.org/"):
            assert doc["kind"] in ("NetworkPolicy", "GlobalNetworkPolicy", "Tier"), doc["kind"]
            continue
        if doc["apiVersion"].startswith(CRD_GROUPS):
            from netpolkit.errors import Where
            from netpolkit.model import parse_object

            assert parse_object(doc, Where(_rel(path), i)) is not None, doc["kind"]
            continue
        try:
            kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            problems.append(f"document {i} ({doc['kind']} {doc['metadata'].get('name')}): {exc}")
    assert not problems, f"{_rel(path)}:\n" + "\n".join(problems)


@pytest.mark.parametrize("path", [p for p in _object_files() if "labs" not in p.parts], ids=_rel)
def test_step_files_start_with_a_comment_header(path: Path):
    assert path.read_text(encoding="utf-8").startswith("# "), f"{_rel(path)}: start with a short # header"


@pytest.mark.parametrize("name", TUTORIALS)
def test_tutorial_yaml_schema(name: str):
    data = _tutorial_yaml(name)
    assert TOP_KEYS <= set(data) <= TOP_KEYS | {"variants"}
    assert data["schema"] == "netpolkit-tutorial/v1"
    assert data["id"] == name
    assert data["profile"] == PROFILES[name]
    for key in ("title", "source"):
        assert isinstance(data[key], str) and data[key].strip()
    assert isinstance(data["externals"], dict)
    for ext, ip in data["externals"].items():
        assert "/" not in ext
        assert re.fullmatch(r"\d+\.\d+\.\d+\.\d+", str(ip)), (ext, ip)
    for step in data["steps"]:
        assert set(step) == STEP_KEYS, step["id"]
        assert isinstance(step["tutorial_step"], bool) and isinstance(step["supplementary"], bool)
        assert step["supplementary"] == (not step["tutorial_step"]), step["id"]
        assert isinstance(step["delete"], list)
        for gone in step["delete"]:
            assert {"kind", "namespace", "name"} <= set(gone) <= {"apiVersion", "kind", "namespace", "name"}
    for variant in data.get("variants", []):
        assert set(variant) == VARIANT_KEYS, variant["id"]
    for item in _items(data):
        assert item["title"].strip() and item["summary"].strip(), item["id"]
        for e in item["expect"]:
            assert EXPECT_REQUIRED <= set(e) <= EXPECT_REQUIRED | EXPECT_OPTIONAL, (item["id"], e)
            assert isinstance(e["port"], int) and 1 <= e["port"] <= 65535
            assert e["protocol"] in ("TCP", "UDP", "SCTP")
            assert isinstance(e["allowed"], bool)
            assert ("cell" in e) == (name == "calico"), (item["id"], e)
    ids = [item["id"] for item in _items(data)]
    assert len(ids) == len(set(ids)), "step and variant ids must be unique"
    pitfalls = data["pitfalls"]
    assert pitfalls and all(set(p) == {"id", "title", "text"} for p in pitfalls)
    assert len({p["id"] for p in pitfalls}) == len(pitfalls)


@pytest.mark.parametrize("name", TUTORIALS)
def test_expectation_counts_match_the_fact_files(name: str):
    data = _tutorial_yaml(name)
    counts = {item["id"]: len(item["expect"]) for item in _items(data)}
    assert counts == EXPECTED_COUNTS[name]


# ---------------------------------------------------------------------------------------------- consistency


@pytest.mark.parametrize("name", TUTORIALS)
def test_step_files_exist_in_order_and_none_is_orphaned(name: str):
    folder = MANIFESTS / name
    data = _tutorial_yaml(name)
    steps = data["steps"]
    assert steps[0]["id"] == "s0-baseline" and steps[0]["file"] == "00-baseline.yaml"
    for index, step in enumerate(steps):
        assert re.fullmatch(rf"{index:02d}-[a-z0-9-]+\.yaml", step["file"]), step["file"]
        assert (folder / step["file"]).is_file(), step["file"]
    supplementary = [s["supplementary"] for s in steps]
    assert supplementary == sorted(supplementary), "supplementary steps come after the tutorial's own steps"
    for variant in data.get("variants", []):
        assert variant["file"].startswith("variants/") and (folder / variant["file"]).is_file()
        assert variant["replaces_in_step"] in {s["id"] for s in steps[1:]}
    referenced = {item["file"] for item in _items(data)} | {"tutorial.yaml"}
    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert present == referenced, f"unreferenced: {sorted(present - referenced)}"


def _baseline_endpoints(name: str) -> set[str]:
    found = set()
    for doc in _documents(MANIFESTS / name / "00-baseline.yaml"):
        if doc["kind"] in WORKLOAD_KINDS:
            found.add(f"{doc['metadata']['namespace']}/{doc['metadata']['name']}")
    return found


@pytest.mark.parametrize("name", TUTORIALS)
def test_expectations_name_existing_endpoints(name: str):
    data = _tutorial_yaml(name)
    endpoints = _baseline_endpoints(name) | {f"external/{e}" for e in data["externals"]}
    unknown = {
        (item["id"], e[key])
        for item in _items(data)
        for e in item["expect"]
        for key in ("from", "to")
        if e[key] not in endpoints
    }
    assert not unknown, sorted(unknown)


@pytest.mark.parametrize("name", TUTORIALS)
def test_baseline_workloads_are_consistent(name: str):
    """Namespaces exist for every object; selectors match their templates; Services select some workload."""
    docs = _documents(MANIFESTS / name / "00-baseline.yaml")
    namespaces = {d["metadata"]["name"] for d in docs if d["kind"] == "Namespace"}
    pod_labels = []
    for doc in docs:
        if doc["kind"] == "Namespace":
            continue
        assert doc["metadata"]["namespace"] in namespaces, doc["metadata"]
        if doc["kind"] in WORKLOAD_KINDS - {"Pod"}:
            template = doc["spec"]["template"]["metadata"]["labels"]
            assert doc["spec"]["selector"]["matchLabels"].items() <= template.items(), doc["metadata"]["name"]
            pod_labels.append((doc["metadata"]["namespace"], template))
        elif doc["kind"] == "Pod":
            pod_labels.append((doc["metadata"]["namespace"], doc["metadata"].get("labels", {})))
    for svc in (d for d in docs if d["kind"] == "Service"):
        ns, selector = svc["metadata"]["namespace"], svc["spec"]["selector"]
        assert any(n == ns and selector.items() <= labels.items() for n, labels in pod_labels), svc["metadata"]
    for later in sorted((MANIFESTS / name).glob("[0-9][0-9]-*.yaml"))[1:]:
        for doc in _documents(later):
            ns = doc["metadata"].get("namespace")
            assert ns is None or ns in namespaces, (later.name, ns)


def test_aks_label_step_replaces_kube_system_with_both_labels():
    (doc,) = _documents(MANIFESTS / "aks" / "04-label-kube-system.yaml")
    assert doc["kind"] == "Namespace" and doc["metadata"]["name"] == "kube-system"
    assert doc["metadata"]["labels"] == {"kubernetes.io/metadata.name": "kube-system", "name": "kube-system"}


@pytest.mark.parametrize("name", TUTORIALS)
def test_deleted_objects_exist_in_an_earlier_step(name: str):
    data = _tutorial_yaml(name)
    seen: set[tuple[str, str, str, str]] = set()
    for step in data["steps"]:
        for gone in step["delete"]:
            key = (gone.get("apiVersion", ""), gone["kind"], gone["namespace"], gone["name"])
            candidates = {k for k in seen if k[1:] == key[1:] and (not key[0] or k[0] == key[0])}
            assert candidates, f"{step['id']} deletes {key}, which no earlier step created"
        for doc in _documents(MANIFESTS / name / step["file"]):
            meta = doc["metadata"]
            seen.add((doc["apiVersion"], doc["kind"], meta.get("namespace", ""), meta["name"]))


# ---------------------------------------------------------------------------------------------- concepts


def test_concepts_file():
    data = yaml.safe_load((MANIFESTS / "concepts.yaml").read_text(encoding="utf-8"))
    assert data["schema"] == "netpolkit-concepts/v1"
    numbers = [c["n"] for c in data["concepts"]]
    assert numbers == list(range(1, 41))
    for concept in data["concepts"]:
        assert set(concept) == {"n", "title", "rule", "shown_in"}
        assert concept["title"].strip() and concept["rule"].strip() and concept["shown_in"]
    assert len(data["corrections"]) == 10
    assert all(set(c) == {"claim", "correction"} for c in data["corrections"])


def test_concept_references_resolve():
    data = yaml.safe_load((MANIFESTS / "concepts.yaml").read_text(encoding="utf-8"))
    tutorials = {name: _tutorial_yaml(name) for name in TUTORIALS}
    broken = []
    for concept in data["concepts"]:
        for ref in concept["shown_in"]:
            if ref.startswith("("):
                continue
            name, _, rest = ref.partition(":")
            if name not in tutorials:
                broken.append(ref)
            elif rest.startswith("pitfall:"):
                if rest.removeprefix("pitfall:") not in {p["id"] for p in tutorials[name]["pitfalls"]}:
                    broken.append(ref)
            elif rest and rest not in {item["id"] for item in _items(tutorials[name])}:
                broken.append(ref)
    assert not broken, broken


# ---------------------------------------------------------------------------------------------- the reader


@pytest.mark.parametrize("name", TUTORIALS)
def test_course_reader_loads_every_tutorial(name: str):
    from netpolkit import course

    assert course.tutorials() == sorted(TUTORIALS)
    tut = course.Tutorial.load(name)
    data = _tutorial_yaml(name)
    assert tut.id == name and tut.profile == PROFILES[name]
    assert dict(tut.externals) == {k: str(v) for k, v in data["externals"].items()}
    assert {i.id: len(i.expect) for i in (*tut.steps, *tut.variants)} == EXPECTED_COUNTS[name]
    assert [p.id for p in tut.pitfalls] == [p["id"] for p in data["pitfalls"]]
    frame = tut.steps[0].expect_frame()
    assert list(frame.columns) == ["from", "to", "port", "protocol", "expected", "via", "test", "why", "cell"]
    assert len(frame) == EXPECTED_COUNTS[name]["s0-baseline"]
    assert len(tut.expect_frame()) == sum(EXPECTED_COUNTS[name].values())
    assert all(step.file.is_file() for step in tut.steps)


def test_manifests_dir_env_var(monkeypatch, tmp_path):
    from netpolkit import course

    monkeypatch.setenv(course.ENV_VAR, str(tmp_path))
    assert course.manifests_dir() == tmp_path.resolve()
    assert course.tutorials() == []
    monkeypatch.setenv(course.ENV_VAR, str(tmp_path / "missing"))
    with pytest.raises(FileNotFoundError, match=course.ENV_VAR):
        course.manifests_dir()
    monkeypatch.delenv(course.ENV_VAR)
    assert course.manifests_dir() == MANIFESTS


def test_reader_rejects_unknown_fields(tmp_path):
    from netpolkit import course

    folder = tmp_path / "demo"
    folder.mkdir()
    (folder / "00-baseline.yaml").write_text("# demo\napiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n")
    text = (
        "schema: netpolkit-tutorial/v1\nid: demo\ntitle: t\nsource: s\nprofile: upstream\nexternals: {}\n"
        "steps:\n  - {id: s0-baseline, file: 00-baseline.yaml, title: t, tutorial_step: true,\n"
        "     supplementary: false, summary: s, delete: [],\n"
        "     expect: [{from: a/x, to: a/y, port: 80, protocol: TCP, allowed: true, wyh: typo}]}\n"
        "pitfalls: []\n"
    )
    (folder / "tutorial.yaml").write_text(text)
    with pytest.raises(ValueError, match=r"steps\[0\]\.expect\[0\].*wyh"):
        course.Tutorial.load(folder)


# ---------------------------------------------------------------------------------------------- hygiene

_SCANNED = ("manifests", "netpolkit", "notebooks", "labs", "tests")
# Built from pieces so that this file does not match itself.
_FORBIDDEN = re.compile(re.escape("../" + "shared") + "|" + "/" + r"work\b")


def _scanned_files() -> list[Path]:
    files = []
    for top in _SCANNED:
        for path in sorted((ROOT / top).rglob("*")):
            parts = path.relative_to(ROOT).parts
            if path.is_file() and "__pycache__" not in parts and not any(p.startswith(".") for p in parts):
                files.append(path)
    return files


def test_no_machine_paths_in_project_files():
    """Nothing may point at the team's scratch folders or at absolute paths of the machine it was written on."""
    offenders = []
    for path in _scanned_files():
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if _FORBIDDEN.search(line):
                offenders.append(f"{_rel(path)}:{number}: {line.strip()[:100]}")
    assert not offenders, "\n".join(offenders)
