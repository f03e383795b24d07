"""Error paths: every malformed input gives a PolicyError naming the file, document, object and exact field path.

Each table row is one bad document. It is written as the second document of ``policies.yaml`` (index 1; the first
is a valid Namespace), loaded with :func:`netpolkit.load`, and the error must carry exactly the expected ``path``
and ``obj``. Messages count documents from 1, as people do ("document 2"); ``PolicyError.document`` is the index.
"""

from __future__ import annotations

import json
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
from conformance import pod_manifest

import netpolkit as npk
from netpolkit import PolicyError
from netpolkit.errors import Where

NAMESPACE_DOC = "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n"
POLICY = "NetworkPolicy shop/web"
POLICY_HEADER = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: web, namespace: shop}\n"


def policy(spec: str) -> str:
    """A NetworkPolicy ``shop/web`` document with the given ``spec`` body (YAML)."""
    body = textwrap.indent(textwrap.dedent(spec).strip(), "  ")
    return f"{POLICY_HEADER}spec:\n{body}\n"


@dataclass(frozen=True)
class Bad:
    id: str
    document: str  # the bad document (YAML)
    path: str | None  # the exact field path the error must name
    message: str  # a regular expression the message must contain
    obj: str | None = POLICY
    bug: str | None = None  # a known netpolkit bug: the row is marked xfail(strict=True) with this reason


def rule_port(entry: str) -> str:
    """A policy whose first ingress rule has the single port entry ``entry`` (YAML flow mapping)."""
    return policy(f"podSelector: {{}}\ningress:\n  - ports: [{entry}]")


def ingress_peer(peer: str) -> str:
    """A policy whose first ingress rule has the single peer ``peer`` (YAML flow mapping)."""
    return policy(f"podSelector: {{}}\ningress:\n  - from: [{peer}]")


def egress_block(block: str) -> str:
    """A policy whose first egress rule goes to the ipBlock ``block`` (YAML flow mapping)."""
    return policy(f"podSelector: {{}}\negress:\n  - to: [{{ipBlock: {block}}}]")


def selector_expression(expression: str) -> str:
    """A policy whose podSelector has the single matchExpressions entry ``expression``."""
    return policy(f"podSelector:\n  matchExpressions: [{expression}]")


PORT = "spec.ingress[0].ports[0]"
EXPR = "spec.podSelector.matchExpressions[0]"
BLOCK = "spec.egress[0].to[0].ipBlock"

BAD: list[Bad] = [
    # ---- unknown fields, with a suggestion where one is close
    Bad("unknown-field-pod-selecter", policy("podSelecter: {}"), "spec.podSelecter", r"did you mean 'podSelector'"),
    Bad(
        "unknown-top-level-field",
        policy("podSelector: {}").replace("spec:", "specs:"),
        "specs",
        "'spec'",
    ),
    Bad(
        "unknown-metadata-field",
        policy("podSelector: {}").replace("namespace: shop}", "namespace: shop, label: {a: b}}"),
        "metadata.label",
        r"did you mean 'labels'",
    ),
    Bad(
        "unknown-field-in-peer",
        ingress_peer("{podSelector: {}, namespaceSelecter: {}}"),
        "spec.ingress[0].from[0].namespaceSelecter",
        r"did you mean 'namespaceSelector'",
    ),
    Bad(
        "unknown-field-in-rule",
        policy("podSelector: {}\ningress:\n  - form: [{podSelector: {}}]"),
        "spec.ingress[0].form",
        r"did you mean 'from'",
    ),
    Bad(
        "from-in-an-egress-rule",
        policy("podSelector: {}\negress:\n  - from: [{podSelector: {}}]"),
        "spec.egress[0].from",
        r"unknown field 'from'",
    ),
    Bad("unknown-field-in-port", rule_port("{port: 80, protcol: TCP}"), f"{PORT}.protcol", r"did you mean 'protocol'"),
    Bad(
        "unknown-field-in-ip-block",
        egress_block("{cidr: 10.0.0.0/8, exept: [10.1.0.0/16]}"),
        f"{BLOCK}.exept",
        r"did you mean 'except'",
    ),
    Bad(
        "unknown-field-in-match-expression",
        selector_expression("{key: app, operator: In, value: [web]}"),
        f"{EXPR}.value",
        r"did you mean 'values'",
    ),
    # ---- label selectors
    Bad(
        "bad-operator",
        policy("""
            podSelector: {}
            ingress:
              - from:
                  - namespaceSelector: {}
                  - podSelector:
                      matchExpressions: [{key: app, operator: Equals, values: [web]}]
            """),
        "spec.ingress[0].from[1].podSelector.matchExpressions[0].operator",
        r"unknown operator 'Equals'",
    ),
    Bad(
        "operator-is-case-sensitive",
        selector_expression("{key: app, operator: in, values: [a]}"),
        f"{EXPR}.operator",
        "unknown operator 'in'",
    ),
    Bad(
        "label-key-invalid",
        policy("podSelector: {matchLabels: {'app!': web}}"),
        "spec.podSelector.matchLabels.app!",
        "label key",
    ),
    Bad(
        "label-key-prefix-invalid",
        policy("podSelector: {matchLabels: {'Example.COM/app': web}}"),
        "spec.podSelector.matchLabels.Example.COM/app",
        "prefix",
    ),
    Bad(
        "label-key-in-expression-invalid",
        selector_expression("{key: 'a b', operator: Exists}"),
        f"{EXPR}.key",
        "label key",
    ),
    Bad(
        "label-value-64-characters",
        ingress_peer("{namespaceSelector: {matchLabels: {team: " + "a" * 64 + "}}}"),
        "spec.ingress[0].from[0].namespaceSelector.matchLabels.team",
        "label value",
    ),
    Bad(
        "label-value-leading-dash",
        selector_expression("{key: app, operator: In, values: [web, -bad]}"),
        f"{EXPR}.values[1]",
        "label value '-bad'",
    ),
    Bad(
        "label-value-as-number",
        policy("podSelector: {matchLabels: {port: 8080}}"),
        "spec.podSelector.matchLabels.port",
        "quote it",
    ),
    Bad(
        "label-value-as-boolean",
        policy("podSelector: {matchLabels: {enabled: yes}}"),
        "spec.podSelector.matchLabels.enabled",
        "quote it",
    ),
    Bad(
        "expression-value-as-number",
        selector_expression("{key: port, operator: In, values: [8080]}"),
        f"{EXPR}.values[0]",
        "quote it",
    ),
    Bad("in-without-values", selector_expression("{key: app, operator: In}"), f"{EXPR}.values", "non-empty"),
    Bad(
        "not-in-with-empty-values",
        selector_expression("{key: app, operator: NotIn, values: []}"),
        f"{EXPR}.values",
        "non-empty",
    ),
    Bad(
        "exists-with-values",
        selector_expression("{key: app, operator: Exists, values: [web]}"),
        f"{EXPR}.values",
        "takes no values",
    ),
    Bad(
        "does-not-exist-with-values",
        selector_expression("{key: app, operator: DoesNotExist, values: [web]}"),
        f"{EXPR}.values",
        "takes no values",
    ),
    Bad(
        "missing-spec",
        POLICY_HEADER,
        "spec",
        "required",
    ),
    # ---- peers and ipBlock
    Bad("empty-peer", ingress_peer("{}"), "spec.ingress[0].from[0]", "podSelector, namespaceSelector or ipBlock"),
    Bad(
        "ip-block-with-pod-selector",
        ingress_peer("{ipBlock: {cidr: 10.0.0.0/8}, podSelector: {}}"),
        "spec.ingress[0].from[0]",
        "cannot be combined",
    ),
    Bad(
        "ip-block-with-namespace-selector",
        ingress_peer("{ipBlock: {cidr: 10.0.0.0/8}, namespaceSelector: {}}"),
        "spec.ingress[0].from[0]",
        "cannot be combined",
    ),
    Bad("peer-not-a-mapping", ingress_peer("web"), "spec.ingress[0].from[0]", "expected a mapping"),
    Bad("ingress-not-a-list", policy("podSelector: {}\ningress: {from: []}"), "spec.ingress", "expected a list"),
    Bad("cidr-prefix-too-long", egress_block("{cidr: 10.0.0.0/33}"), f"{BLOCK}.cidr", "not a valid CIDR"),
    Bad("cidr-bad-address", egress_block("{cidr: 10.0.0.300/8}"), f"{BLOCK}.cidr", "not a valid CIDR"),
    Bad("cidr-without-prefix", egress_block("{cidr: 10.0.0.1}"), f"{BLOCK}.cidr", "not a CIDR"),
    Bad("cidr-missing", egress_block("{except: [10.0.0.0/8]}"), f"{BLOCK}.cidr", "required"),
    Bad(
        "except-outside-cidr",
        egress_block("{cidr: 10.0.0.0/16, except: [10.0.0.0/24, 10.1.0.0/24]}"),
        f"{BLOCK}.except[1]",
        "not inside cidr 10.0.0.0/16",
    ),
    Bad(
        "except-equal-to-cidr",
        egress_block("{cidr: 10.0.0.0/16, except: [10.0.0.0/16]}"),
        f"{BLOCK}.except[0]",
        "strictly smaller",
    ),
    Bad(
        "except-of-another-family",
        egress_block("{cidr: 10.0.0.0/16, except: ['fd00::/64']}"),
        f"{BLOCK}.except[0]",
        "not inside",
    ),
    # ---- ports
    Bad("port-zero", rule_port("{port: 0}"), f"{PORT}.port", "must be 1-65535, got 0"),
    Bad("port-70000", rule_port("{port: 70000}"), f"{PORT}.port", "must be 1-65535, got 70000"),
    Bad("port-quoted-number", rule_port("{port: '80'}"), f"{PORT}.port", "must not be quoted"),
    Bad("port-name-uppercase", rule_port("{port: HTTP}"), f"{PORT}.port", "port name 'HTTP'"),
    Bad("port-name-underscore", rule_port("{port: http_alt}"), f"{PORT}.port", "port name"),
    Bad("port-name-too-long", rule_port("{port: a-very-long-port-name}"), f"{PORT}.port", "1-15"),
    Bad("port-name-double-dash", rule_port("{port: web--1}"), f"{PORT}.port", "port name"),
    Bad("port-as-list", rule_port("{port: [80]}"), f"{PORT}.port", "port number or name"),
    Bad("end-port-with-named-port", rule_port("{port: http, endPort: 90}"), f"{PORT}.endPort", "named port"),
    Bad(
        "end-port-below-port",
        rule_port("{port: 9000, endPort: 8000}"),
        f"{PORT}.endPort",
        "greater than or equal to port 9000",
    ),
    Bad("end-port-without-port", rule_port("{endPort: 8000}"), f"{PORT}.endPort", "needs port"),
    Bad("end-port-70000", rule_port("{port: 80, endPort: 70000}"), f"{PORT}.endPort", "1-65535"),
    Bad("protocol-lowercase", rule_port("{protocol: tcp, port: 80}"), f"{PORT}.protocol", r"write 'TCP'"),
    Bad("protocol-icmp", rule_port("{protocol: ICMP}"), f"{PORT}.protocol", "unsupported protocol 'ICMP'"),
    # ---- policyTypes
    Bad(
        "policy-type-misspelled",
        policy("podSelector: {}\npolicyTypes: [Ingres]"),
        "spec.policyTypes[0]",
        "must be Ingress or Egress, got 'Ingres'",
    ),
    Bad(
        "policy-type-lowercase-second",
        policy("podSelector: {}\npolicyTypes: [Ingress, egress]"),
        "spec.policyTypes[1]",
        "got 'egress'",
    ),
    # ---- object identity
    Bad(
        "name-invalid",
        policy("podSelector: {}").replace("name: web", "name: Web_1"),
        "metadata.name",
        "'Web_1' is not a valid name",
        obj="NetworkPolicy shop/Web_1",
    ),
    Bad(
        "namespace-invalid",
        policy("podSelector: {}").replace("namespace: shop", "namespace: Shop"),
        "metadata.namespace",
        "'Shop' is not a valid namespace name",
        obj="NetworkPolicy Shop/web",
    ),
    Bad("missing-kind", "apiVersion: v1\nmetadata: {name: web}\n", "kind", "required", obj=None),
    Bad("missing-api-version", "kind: Pod\nmetadata: {name: web}\n", "apiVersion", "required", obj=None),
    Bad("missing-metadata", "apiVersion: v1\nkind: Pod\nspec: {containers: []}\n", "metadata", "required", obj=None),
    Bad(
        "missing-name",
        "apiVersion: v1\nkind: Pod\nmetadata: {namespace: shop}\n",
        "metadata.name",
        "required",
        obj=None,
    ),
    # ---- pods, workloads, services (lenient about unknown fields, strict about the fields policies read)
    Bad(
        "pod-label-value-invalid",
        json.dumps(pod_manifest("shop", "web", {"app": "-web"})),
        "metadata.labels.app",
        "label value",
        obj="Pod shop/web",
    ),
    Bad(
        "deployment-template-label-invalid",
        json.dumps(pod_manifest("shop", "web", {"app": "x" * 64}, kind="Deployment")),
        "spec.template.metadata.labels.app",
        "label value",
        obj="Deployment shop/web",
    ),
    Bad(
        "container-port-zero",
        json.dumps(pod_manifest("shop", "web", {}, ["TCP/0"])),
        "spec.containers[0].ports[0].containerPort",
        "1-65535",
        obj="Pod shop/web",
    ),
    Bad(
        "cronjob-container-port-name-invalid",
        json.dumps(pod_manifest("shop", "nightly", {}, ["Web_Port=TCP/80"], kind="CronJob")),
        "spec.jobTemplate.spec.template.spec.containers[0].ports[0].name",
        "port name",
        obj="CronJob shop/nightly",
    ),
    Bad(
        "pod-ip-invalid",
        json.dumps(pod_manifest("shop", "web", {}, ip="10.0.0.999")),
        "status.podIP",
        "not an IP address",
        obj="Pod shop/web",
    ),
    Bad(
        "service-port-70000",
        "apiVersion: v1\nkind: Service\nmetadata: {name: db, namespace: shop}\nspec: {ports: [{port: 70000}]}\n",
        "spec.ports[0].port",
        "1-65535",
        obj="Service shop/db",
    ),
]


def _bad_params() -> list:
    return [
        pytest.param(b, id=b.id, marks=[pytest.mark.xfail(strict=True, reason=b.bug)] if b.bug else []) for b in BAD
    ]


@pytest.mark.parametrize("bad", _bad_params())
def test_malformed_input_names_file_document_object_and_field(tmp_path: Path, bad: Bad):
    path = tmp_path / "policies.yaml"
    path.write_text(NAMESPACE_DOC + "---\n" + bad.document, encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        npk.load(path)
    err = caught.value
    assert (err.file, err.document, err.obj, err.path) == (str(path), 1, bad.obj, bad.path), err.message
    assert re.search(bad.message, err.message), err.message
    parts = [str(path), "document 2", *([bad.obj] if bad.obj else []), bad.path, err.message]
    assert str(err) == ": ".join(parts)


# (Where.document as code keeps it, counted from 0; how a message shows it, counted from 1)
DOCUMENT_TEXTS = [
    (0, "document 1"),
    (2, "document 3"),
    ("0, items[2]", "document 1, items[2]"),  # items[2] is a field path, counted from 0 like spec.ingress[0]
    ("11, items[0]", "document 12, items[0]"),
    ("networkpolicies in shop, items[3]", "document networkpolicies in shop, items[3]"),  # a live list, no number
    (None, None),
]


@pytest.mark.parametrize(("document", "shown"), DOCUMENT_TEXTS, ids=[str(d) for d, _ in DOCUMENT_TEXTS])
def test_messages_count_documents_from_one_and_keep_the_index(document, shown):
    where = Where("policies.yaml", document, "NetworkPolicy shop/web")
    assert where.document_text == shown
    err = PolicyError("must be 1-65535, got 70000", where=where, path="spec.ingress[0].ports[0].port")
    assert err.document == document  # code keeps the index
    expected = ["policies.yaml", *([shown] if shown else []), "NetworkPolicy shop/web", "spec.ingress[0].ports[0].port"]
    assert str(err) == ": ".join([*expected, "must be 1-65535, got 70000"])


def test_first_document_of_a_file_is_document_1_in_the_message(tmp_path: Path):
    path = tmp_path / "policies.yaml"
    path.write_text(rule_port("{port: 70000}") + "---\n" + NAMESPACE_DOC, encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        npk.load(path)
    assert caught.value.document == 0
    assert str(caught.value).startswith(f"{path}: document 1: NetworkPolicy shop/web: spec.ingress[0].ports[0].port")


def test_bad_ids_are_unique():
    ids = [b.id for b in BAD]
    assert len(ids) == len(set(ids)), [i for i in ids if ids.count(i) > 1]


def test_error_string_reads_file_document_object_path_message(tmp_path: Path):
    path = tmp_path / "policies.yaml"
    path.write_text(NAMESPACE_DOC + "---\n" + rule_port("{port: 70000}"), encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        npk.load(path)
    assert str(caught.value) == (
        f"{path}: document 2: NetworkPolicy shop/web: spec.ingress[0].ports[0].port: must be 1-65535, got 70000"
    )
    assert caught.value.message == "must be 1-65535, got 70000"
    assert isinstance(caught.value, ValueError)


def test_from_objects_names_the_object_index():
    good = pod_manifest("shop", "web", {"app": "web"})
    bad = pod_manifest("shop", "db", {"app": "-db"})
    with pytest.raises(PolicyError) as caught:
        npk.Cluster.from_objects([good, bad])
    err = caught.value
    assert (err.file, err.document, err.obj, err.path) == ("<objects>", 1, "Pod shop/db", "metadata.labels.app")


# --------------------------------------------------------------------------- files that are not manifests


def test_invalid_yaml_names_the_file_and_line(tmp_path: Path):
    path = tmp_path / "broken.yaml"
    path.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: web\nspec: {}\n", encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        npk.load(path)
    err = caught.value
    assert err.file == str(path)
    assert re.search(r"line \d+", err.message), err.message
    assert "invalid YAML" in err.message
    assert (err.document, err.obj, err.path) == (None, None, None)


def test_invalid_json_names_the_file_and_line(tmp_path: Path):
    path = tmp_path / "broken.json"
    path.write_text('{\n  "apiVersion": "v1",\n  "kind": "Pod",\n  "metadata": {"name": "web",}\n}\n', encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        npk.load(path)
    assert caught.value.file == str(path)
    assert "line 4" in caught.value.message


@pytest.mark.parametrize("text", ["- a\n- b\n", "just a string\n", "42\n"], ids=["list", "string", "number"])
def test_a_document_that_is_not_a_mapping_is_rejected(tmp_path: Path, text: str):
    path = tmp_path / "odd.yaml"
    path.write_text(NAMESPACE_DOC + "---\n" + text, encoding="utf-8")
    with pytest.raises(PolicyError, match="mapping") as caught:
        npk.load(path)
    assert (caught.value.file, caught.value.document) == (str(path), 1)


def test_error_inside_a_list_export_names_the_item(tmp_path: Path):
    items = [pod_manifest("shop", "web", {"app": "web"}), pod_manifest("shop", "db", {"app": "bad value"})]
    path = tmp_path / "export.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}), encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        npk.load(path)
    err = caught.value
    assert (err.file, err.document, err.obj, err.path) == (
        str(path),
        "0, items[1]",
        "Pod shop/db",
        "metadata.labels.app",
    )


# --------------------------------------------------------------------------- duplicates and atomicity


def test_duplicate_object_in_one_load_names_both_places(tmp_path: Path):
    doc = policy("podSelector: {}")
    path = tmp_path / "policies.yaml"
    path.write_text(doc + "---\n" + NAMESPACE_DOC + "---\n" + doc, encoding="utf-8")
    with pytest.raises(PolicyError, match="duplicate NetworkPolicy shop/web") as caught:
        npk.load(path)
    err = caught.value
    assert (err.file, err.document) == (str(path), 2)
    assert f"already defined in {path}, document 1" in err.message


def test_duplicate_object_across_files_names_the_first_file(tmp_path: Path):
    (tmp_path / "a.yaml").write_text(policy("podSelector: {}"), encoding="utf-8")
    (tmp_path / "b.yaml").write_text(policy("podSelector: {matchLabels: {app: web}}"), encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        npk.load(tmp_path)
    assert caught.value.file == str(tmp_path / "b.yaml")
    assert str(tmp_path / "a.yaml") in caught.value.message


def test_duplicate_object_error_names_the_object_with_its_namespace(tmp_path: Path):
    doc = policy("podSelector: {}")
    path = tmp_path / "policies.yaml"
    path.write_text(doc + "---\n" + doc, encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        npk.load(path)
    assert caught.value.obj == POLICY


def test_pod_and_workload_with_the_same_id_are_rejected_at_load(tmp_path: Path):
    objects = [
        pod_manifest("shop", "web", {"app": "web"}),
        pod_manifest("shop", "web", {"app": "web"}, kind="Deployment"),
    ]
    with pytest.raises(PolicyError) as caught:
        npk.Cluster.from_objects(objects)
    assert caught.value.document == 1


def test_nothing_is_half_loaded_from_a_folder_with_one_bad_file(tmp_path: Path):
    (tmp_path / "a-good.yaml").write_text(policy("podSelector: {}"), encoding="utf-8")
    bad = tmp_path / "b-bad.yaml"
    bad.write_text(rule_port("{port: 0}").replace("name: web", "name: other"), encoding="utf-8")
    result = None
    with pytest.raises(PolicyError) as caught:
        result = npk.load(tmp_path)
    assert result is None
    assert caught.value.file == str(bad)


def test_apply_of_a_bad_object_leaves_the_cluster_unchanged():
    cluster = npk.Cluster.from_objects([pod_manifest("shop", "web", {"app": "web"})])
    good = pod_manifest("shop", "db", {"app": "db"})
    bad = pod_manifest("shop", "api", {"app": "-api"})
    with pytest.raises(PolicyError) as caught:
        cluster.apply([good, bad])
    assert (caught.value.file, caught.value.document) == ("<apply>", 1)
    assert list(cluster.pods.index) == ["shop/web"]


# --------------------------------------------------------------------------- bad queries


@pytest.fixture(scope="module")
def small() -> npk.Cluster:
    return npk.Cluster.from_objects(
        [pod_manifest("shop", "web", {"app": "web"}), pod_manifest("shop", "db", {"app": "db"})],
        externals={"internet": "203.0.113.10"},
    )


@pytest.mark.parametrize("port", ["TCP/0", "TCP/70000", "ICMP/1", "http", "TCP/"])
def test_reachability_rejects_bad_port_queries(small: npk.Cluster, port: str):
    with pytest.raises(ValueError):
        npk.reachability(small, ports=[port])


def test_reachability_rejects_unknown_profile_engine_and_empty_ports(small: npk.Cluster):
    with pytest.raises(ValueError, match="profile"):
        npk.reachability(small, ports=["TCP/80"], profile="weave")
    with pytest.raises(ValueError, match="engine"):
        npk.reachability(small, ports=["TCP/80"], engine="fast")
    with pytest.raises(ValueError):
        npk.reachability(small, ports=[])
    with pytest.raises(ValueError, match="declares"):
        npk.reachability(small)  # no pod declares a port, so there is no default port list


def test_unknown_endpoint_suggests_near_matches(small: npk.Cluster):
    reach = npk.reachability(small, ports=["TCP/80"])
    with pytest.raises(npk.UnknownEndpointError, match="shop/web"):
        reach.allowed("shop/wbe", "shop/db", "TCP/80")
    with pytest.raises(KeyError):
        reach.explain("shop/web", "nowhere/x", "TCP/80")
