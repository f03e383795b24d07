"""Hostile and malformed input: bounded work, strict reading, located errors, and acceptance where Kubernetes accepts.

Table-driven. Each :class:`Refused` row is one file, loaded with :func:`netpolkit.load`; the error must be a
:class:`PolicyError` with exactly the expected document, object and field path, a message matching ``message``, a
rendered string no longer than :data:`SHORT` (no message prints an unbounded value), within :data:`SECONDS`.
Each :class:`Accepted` row is a file the API server accepts: it must load, and ``check`` must hold of the cluster.
The CLI rows run ``netpolkit`` and require exit code 2 and exactly one error line, never a traceback.
"""

from __future__ import annotations

import errno
import io
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

import netpolkit as npk
from netpolkit import PolicyError, limits, model
from netpolkit.cli import main
from netpolkit.errors import elide
from netpolkit.model import Service, Workload, labels
from netpolkit.model.calico_selector import parse as parse_selector
from netpolkit.model.ports import check_port_name

SECONDS = 1.0  # a correctness bound: a bad file is refused at once, whatever it would expand to
SHORT = 600  # characters: every error message, whatever the input, stays about this short
CLI_DATA = Path(__file__).parent / "data" / "cli"
CLUSTER = str(CLI_DATA / "cluster.yaml")

NP = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: db, namespace: shop}\n"
CALICO = "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: db, namespace: shop}\n"
POD = "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\n"
SVC = "apiVersion: v1\nkind: Service\nmetadata: {name: db, namespace: shop}\n"
POLICY = "NetworkPolicy shop/db"
PORT_ENTRY = "spec.ports[0]"


def bomb(levels: int = 9, width: int = 9) -> str:
    """A YAML flow sequence of ``levels`` nested anchors, each repeating the one inside ``width`` times (with
    9 and 9: 700 bytes that expand to 387 million nodes)."""
    text = "&a0 [x]"
    for i in range(1, levels + 1):
        text = f"&a{i} [{text}, " + ", ".join([f"*a{i - 1}"] * (width - 1)) + "]"
    return text


def svc_port(entry: str) -> str:
    return SVC + f"spec:\n  selector: {{app: db}}\n  ports: [{entry}]\n"


def ip_block(block: str) -> str:
    return NP + f"spec:\n  podSelector: {{}}\n  egress:\n  - to: [{{ipBlock: {block}}}]\n"


def calico(selector: str) -> str:
    return CALICO + f'spec:\n  selector: "{selector}"\n'


def container(ports: str, extra: str = "") -> str:
    return POD + f"spec:\n{extra}  containers:\n  - name: web\n    ports: {ports}\n"


def deep_path(prefix: str, count: int) -> str:
    """The field path of a too-deep error: ``count`` list indexes below ``prefix``, elided as errors elide it."""
    return elide(prefix + "[0]" * count, 160)


@dataclass(frozen=True)
class Refused:
    id: str
    text: str  # the file's content
    path: str | None  # the exact field path the error names
    message: str  # a regular expression the message must contain
    obj: str | None = POLICY
    document: int | str | None = 0
    file: str = "bad.yaml"  # the name decides YAML or JSON


@dataclass(frozen=True)
class Accepted:
    id: str
    text: str
    check: Callable[[npk.Cluster], bool]
    file: str = "good.yaml"


TOO_DEEP = r"nested more than 200 levels deep"
ALIASES = r"aliases expand to more than 1,000,000 nodes in this file"
SELECTOR_DEEP = r"nested more than 100 levels deep"
DUPLICATE = r"duplicate key '{}' \(first at line {}, column \d+\)"

REFUSED: list[Refused] = [
    # ---- unbounded work: alias bombs where the message would print the value, deep nesting
    Refused(
        "alias-bomb-in-policy-types",
        NP + f"spec:\n  podSelector: {{}}\n  policyTypes: {bomb()}\n",
        "spec.policyTypes[0][0][0][7]",
        rf"^line 6, column \d+: {ALIASES}",
    ),
    Refused(
        "alias-bomb-in-port",
        NP + f"spec:\n  podSelector: {{}}\n  ingress:\n  - ports:\n    - port: {bomb()}\n",
        "spec.ingress[0].ports[0].port[0][0][0][7]",
        rf"^line 8, column \d+: {ALIASES}",
    ),
    Refused(
        "alias-bomb-in-values",
        NP + f"spec:\n  podSelector:\n    matchExpressions:\n    - {{key: app, operator: In, values: {bomb()}}}\n",
        "spec.podSelector.matchExpressions[0].values[0][0][0][7]",
        rf"^line 7, column \d+: {ALIASES}",
    ),
    Refused(
        "alias-bomb-in-except",
        ip_block(f"{{cidr: 10.0.0.0/8, except: {bomb()}}}"),
        "spec.egress[0].to[0].ipBlock.except[0][0][0][7]",
        rf"^line 7, column \d+: {ALIASES}",
    ),
    Refused(
        "aliases-under-the-limit-are-quoted-as-an-excerpt",  # 531,441 nodes: read, then refused in a short message
        NP + f"spec:\n  podSelector: {{}}\n  policyTypes: [{bomb(5)}]\n",
        "spec.policyTypes[0]",
        r"^must be Ingress or Egress, got a list$",
    ),
    Refused(
        "alias-inside-its-own-node",
        NP + "spec:\n  podSelector: {}\n  policyTypes: &loop [Ingress, *loop]\n",
        "spec.policyTypes[1]",
        r"^line 6, column 32: the alias \*loop is inside the node it names \(recursive\)$",
    ),
    Refused(
        "json-20000-nested-lists",
        "[" * 20_000 + "]" * 20_000,
        deep_path("", 200),
        rf"^line 1, column 201: {TOO_DEEP}",
        obj=None,
        file="deep.json",
    ),
    Refused(
        "json-deep-inside-a-list-item",
        json.dumps({"apiVersion": "v1", "kind": "List", "items": [{"kind": "Pod", "x": [[[[[]]]]]}]}).replace(
            "[[[[[]]]]]", "[" * 300 + "]" * 300
        ),
        deep_path("x", 197),
        rf"^line 1, column \d+: {TOO_DEEP}",
        obj=None,
        document="0, items[0]",
        file="deep.json",
    ),
    Refused(
        "yaml-2000-deep-block-lists",
        "".join("  " * i + "-\n" for i in range(2000)),
        deep_path("", 200),
        rf"^line 201, column 401: {TOO_DEEP}",
        obj=None,
    ),
    Refused(
        "yaml-deep-inside-an-object",
        NP + "spec:\n  podSelector: {}\n  x: " + "[" * 300 + "]" * 300 + "\n",
        deep_path("spec.x", 198),
        rf"^line 6, column 204: {TOO_DEEP}",
    ),
    Refused(
        "calico-selector-300-parentheses", calico("(" * 300 + "has(app)" + ")" * 300), "spec.selector", SELECTOR_DEEP
    ),
    Refused("calico-selector-500-nots", calico("!" * 500 + "has(app)"), "spec.selector", SELECTOR_DEEP),
    Refused("calico-selector-500-term-chain", calico(" && ".join(["has(app)"] * 500)), "spec.selector", SELECTOR_DEEP),
    Refused(
        "calico-selector-error-quotes-an-excerpt",
        calico("app == 'web' &&& " + "x" * 100_000),
        "spec.selector",
        r"expected '&&', not a single '&' at position 15",
    ),
    # ---- silently wrong before: duplicate keys (the API server's strict decoding refuses them)
    Refused(
        "duplicate-pod-selector",
        NP + "spec:\n  podSelector: {matchLabels: {app: db}}\n  podSelector: {}\n",
        "spec.podSelector",
        "^line 6, column 3: " + DUPLICATE.format("podSelector", 5),
    ),
    Refused(
        "duplicate-key-quoted-and-plain",
        NP.replace("name: db,", "name: db, 'name': web,"),
        "metadata.name",
        "^line 3, column 22: " + DUPLICATE.format("name", 3),
    ),
    Refused(
        "duplicate-key-in-a-list-item",
        "apiVersion: v1\nkind: List\nitems:\n- " + NP.replace("\n", "\n  ") + "spec: {}\n  spec: {}\n",
        "spec",
        "^line 8, column 3: " + DUPLICATE.format("spec", 7),
        document="0, items[0]",
    ),
    Refused(
        "duplicate-key-json",
        '{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",\n "metadata": {"name": "db"},\n'
        ' "spec": {"podSelector": {"matchLabels": {"app": "db"}},\n   "podSelector": {}}}',
        "spec.podSelector",
        "^line 4, column 4: " + DUPLICATE.format("podSelector", 3),
        obj=None,
        file="bad.json",
    ),
    Refused(
        "duplicate-top-level-key-json",
        '{"kind": "Namespace",\n "apiVersion": "v1",\n "kind": "Pod"}',
        "kind",
        "^line 3, column 2: " + DUPLICATE.format("kind", 1),
        obj=None,
        file="bad.json",
    ),
    Refused(
        "duplicate-anchor",
        NP + "spec:\n  podSelector: &s {}\n  policyTypes: &s [Ingress]\n",
        "spec.policyTypes",
        r"^line 6, column 16: duplicate anchor &s \(first at line 5, column 16\)$",
    ),
    Refused(
        "json-nan",
        '{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "db"},\n "spec": {"ports": [{"port": NaN}]}}',
        "spec.ports[0].port",
        r"^line 2, column 30: invalid JSON: NaN is not a JSON number$",
        obj=None,
        file="bad.json",
    ),
    Refused(
        "yaml-integer-of-5000-digits",
        svc_port("{port: " + "9" * 5000 + "}"),
        None,
        r"^line 6, column 18: invalid YAML: an integer of 5,000 digits is too long to read$",
        obj=None,
        document=None,
    ),
    Refused(
        "yaml-binary-integer-of-5000-bits",
        svc_port("{port: 0b" + "1" * 5000 + "}"),
        f"{PORT_ENTRY}.port",
        r"^must be 1-65535, got <a number of about 1506 digits>$",
        obj="Service shop/db",
    ),
    # ---- errors without a location before
    Refused(
        "target-port-superscript-two",
        svc_port("{port: 80, targetPort: '²'}"),
        f"{PORT_ENTRY}.targetPort",
        r"^port name '²' must be 1-15 lowercase letters",
        obj="Service shop/db",
    ),
    Refused(
        "container-port-superscript-two",
        container("[{containerPort: '²'}]"),
        "spec.containers[0].ports[0].containerPort",
        r"^expected an integer, got string '²'$",
        obj="Pod shop/web",
    ),
    # ---- accepted before although the API server refuses it
    Refused(
        "labels-not-a-mapping",
        NP.replace("namespace: shop}", "namespace: shop, labels: [app]}") + "spec: {}\n",
        "metadata.labels",
        r"^expected a mapping, got a list$",
    ),
    Refused(
        "label-key-invalid-on-a-service",
        SVC.replace("namespace: shop}", "namespace: shop, labels: {'a b': x}}"),
        "metadata.labels.a b",
        r"^label key name 'a b' must be 1-63 characters",
        obj="Service shop/db",
    ),
    Refused(
        "label-value-invalid-on-a-deployment",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop, labels: {app: -api}}\n"
        "spec: {template: {spec: {containers: []}}}\n",
        "metadata.labels.app",
        r"^label value '-api' must be",
        obj="Deployment shop/api",
    ),
    Refused(
        "annotations-not-a-mapping",
        NP.replace("namespace: shop}", "namespace: shop, annotations: note}") + "spec: {}\n",
        "metadata.annotations",
        r"^expected a mapping, got string 'note'$",
    ),
    Refused(
        "annotation-value-not-a-string",
        NP.replace("namespace: shop}", "namespace: shop, annotations: {replicas: 3}}") + "spec: {}\n",
        "metadata.annotations.replicas",
        r"^value must be a string, got number 3 \(quote it in YAML\)$",
    ),
    Refused(
        "annotation-key-invalid",
        NP.replace("namespace: shop}", "namespace: shop, annotations: {'two words': x}}") + "spec: {}\n",
        "metadata.annotations.two words",
        r"^annotation key name 'two words' must be 1-63 characters",
    ),
    Refused(
        "annotations-over-256-kib",
        NP.replace("namespace: shop}", "namespace: shop, annotations: {note: " + "x" * 300_000 + "}}") + "spec: {}\n",
        "metadata.annotations",
        r"^annotations may take at most 256 KiB together, got 300,004 bytes$",
    ),
    Refused(
        "ipv6-zone-in-cidr",
        ip_block("{cidr: 'fe80::%eth0/64'}"),
        "spec.egress[0].to[0].ipBlock.cidr",
        r"^'fe80::%eth0/64' is not a valid CIDR: an IPv6 zone \('%\.\.\.'\) is not allowed$",
    ),
    Refused(
        "ipv6-zone-in-except",
        ip_block("{cidr: 'fe80::/10', except: ['fe80::%1/64']}"),
        "spec.egress[0].to[0].ipBlock.except[0]",
        r"IPv6 zone",
    ),
    Refused(
        "ipv6-zone-in-pod-ip",
        POD + "spec: {containers: []}\nstatus: {podIP: 'fe80::1%eth0'}\n",
        "status.podIP",
        r"^'fe80::1%eth0' is not an IP address: an IPv6 zone",
        obj="Pod shop/web",
    ),
    Refused(
        "cidr-very-long",
        ip_block("{cidr: '" + "1" * 10_000 + "/8'}"),
        "spec.egress[0].to[0].ipBlock.cidr",
        r"^'1111.*\.\.\..*/8' is not a valid CIDR$",
    ),
    Refused(
        "policy-types-three-entries",
        NP + "spec:\n  podSelector: {}\n  policyTypes: [Ingress, Egress, Ingress]\n",
        "spec.policyTypes",
        r"^may not specify more than two policyTypes, got 3$",
    ),
    Refused(
        "target-port-out-of-range",
        svc_port("{port: 80, targetPort: 70000}"),
        f"{PORT_ENTRY}.targetPort",
        r"^must be 1-65535, got 70000$",
        obj="Service shop/db",
    ),
    Refused(
        "target-port-invalid-name",
        svc_port("{port: 80, targetPort: Web_Port}"),
        f"{PORT_ENTRY}.targetPort",
        r"^port name 'Web_Port' must be",
        obj="Service shop/db",
    ),
    Refused(
        "target-port-quoted-number",  # a string is a port name for the API server, and a name needs a letter
        svc_port("{port: 80, targetPort: '8080'}"),
        f"{PORT_ENTRY}.targetPort",
        r"^a port number must not be quoted: write 8080 instead of '8080'$",
        obj="Service shop/db",
    ),
    Refused(
        "service-type-bogus",
        SVC + "spec: {type: Bogus}\n",
        "spec.type",
        r"^unsupported Service type 'Bogus'; expected one of: ClusterIP, NodePort, LoadBalancer, ExternalName$",
        obj="Service shop/db",
    ),
    Refused(
        "service-selector-value-with-a-space",
        SVC + "spec: {selector: {app: 'my db'}}\n",
        "spec.selector.app",
        r"^label value 'my db' must be",
        obj="Service shop/db",
    ),
    Refused(
        "duplicate-port-name-in-one-container",
        container("[{name: http, containerPort: 80}, {name: http, containerPort: 8080}]"),
        "spec.containers[0].ports[1].name",
        r"^duplicate port name 'http' \(also ports\[0\]\)$",
        obj="Pod shop/web",
    ),
    Refused(
        "kind-not-a-kind",
        "apiVersion: v1\nkind: " + "K" * 100_000 + "\nmetadata: {name: x}\n",
        "kind",
        r"^'KKKK.*\.\.\..*KKKK' is not a kind",
        obj=None,
    ),
    Refused(
        "api-version-not-an-api-version",
        "apiVersion: 'example.com/v1 beta'\nkind: Widget\nmetadata: {name: x}\n",
        "apiVersion",
        r"^'example.com/v1 beta' is not an apiVersion",
        obj=None,
    ),
    Refused(
        "name-of-100-kilobytes",
        NP.replace("name: db,", "name: " + "d" * 100_000 + ",") + "spec: {}\n",
        "metadata.name",
        r"^'ddd.*\.\.\..*ddd' is not a valid name",
        obj="NetworkPolicy shop/" + elide("d" * 100_000, 256),
    ),
    # ---- wrong answers from lenient reading before
    Refused(
        "host-network-as-a-string",
        container("[]", extra="  hostNetwork: 'false'\n"),
        "spec.hostNetwork",
        r"^expected a boolean, got string 'false'$",
        obj="Pod shop/web",
    ),
    Refused(
        "owner-controller-as-a-string",
        POD.replace("namespace: shop}", "namespace: shop, ownerReferences: [{controller: 'false'}]}")
        + "spec: {containers: []}\n",
        "metadata.ownerReferences[0].controller",
        r"^expected a boolean, got string 'false'$",
        obj="Pod shop/web",
    ),
    # ---- typed lists: a stated kind must be the list's
    Refused(
        "typed-list-item-of-another-kind",
        json.dumps({"apiVersion": "v1", "kind": "PodList", "items": [{"kind": "Service", "metadata": {"name": "a"}}]}),
        "kind",
        r"^a PodList \(v1\) holds v1 Pod objects, got 'Service'$",
        obj=None,
        document="0, items[0]",
        file="list.json",
    ),
]

ACCEPTED: list[Accepted] = [
    Accepted(
        "calico-selector-100-term-chain-is-evaluated",  # the deepest a selector may be: selects web, denies ingress
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\n"
        + POD.replace("namespace: shop}", "namespace: shop, labels: {app: web}}")
        + "spec: {containers: [{name: web, ports: [{containerPort: 80}]}]}\n---\n"
        + POD.replace("name: web", "name: client")
        + "spec: {containers: []}\n---\n"
        + CALICO
        + 'spec:\n  selector: "'
        + " && ".join(["has(app)"] * 100)
        + '"\n  types: [Ingress]\n',
        lambda c: (
            c.policy_objects[0].selector.depth == 100
            and not npk.reachability(c, ports=["TCP/80"], profile="calico").allowed("shop/client", "shop/web", "TCP/80")
            and npk.reachability(c, ports=["TCP/80"], profile="calico", engine="reference").allowed(
                "shop/web", "shop/client", "TCP/80"
            )
        ),
    ),
    Accepted(
        "target-port-zero-defaults-to-the-port",
        svc_port("{port: 80, targetPort: 0}"),
        lambda c: _service(c).ports[0].target_port == 80,
    ),
    Accepted(
        "target-port-empty-defaults-to-the-port",
        svc_port("{port: 443, targetPort: ''}"),
        lambda c: _service(c).ports[0].target_port == 443,
    ),
    Accepted(
        "target-port-name-and-number",
        svc_port("{port: 80, targetPort: http}, {port: 81, targetPort: 8081}"),
        lambda c: [p.target_port for p in _service(c).ports] == ["http", 8081],
    ),
    Accepted(
        "policy-types-repeated-twice",  # the API server allows two entries, even the same twice
        NP + "spec:\n  podSelector: {}\n  policyTypes: [Egress, Egress]\n",
        lambda c: c.policy_objects[0].policy_types == ("Egress",),
    ),
    Accepted(
        "same-port-name-in-two-containers",
        POD + "spec:\n  containers:\n  - {name: a, ports: [{name: http, containerPort: 80}]}\n"
        "  - {name: b, ports: [{name: http, containerPort: 81}]}\n",
        lambda c: len(_workload(c).ports) == 2,
    ),
    Accepted(
        "host-network-true",
        container("[]", extra="  hostNetwork: true\n"),
        lambda c: _workload(c).host_network is True,
    ),
    Accepted(
        "unquoted-timestamp-is-a-string",  # Kubernetes reads YAML timestamps as strings
        POD.replace("namespace: shop}", "namespace: shop, labels: {day: 2024-01-31}}")
        + "spec: {containers: []}\nstatus: {startTime: 2024-02-30T00:00:00Z}\n",
        lambda c: _workload(c).labels == {"day": "2024-01-31"},
    ),
    Accepted(
        "annotation-key-with-uppercase-prefix",  # the API server checks annotation keys lowercased
        NP.replace("namespace: shop}", "namespace: shop, annotations: {Example.COM/Note: x}}") + "spec: {}\n",
        lambda c: len(c.policy_objects) == 1,
    ),
    Accepted(
        "aliases-and-merge-keys-within-the-limit",
        "apiVersion: v1\nkind: List\nitems:\n"  # anchors reach across the items of one document, not documents
        "- {apiVersion: v1, kind: Pod, metadata: {name: web, namespace: shop, labels: &l {app: web}},\n"
        "   spec: {containers: []}}\n"
        "- {apiVersion: v1, kind: Service, metadata: {name: db, namespace: shop},\n"
        "   spec: {selector: {<<: *l, tier: front}}}\n",
        lambda c: dict(_service(c).selector) == {"app": "web", "tier": "front"},
    ),
    Accepted(
        "typed-lists-without-item-kinds",  # as `kubectl get --raw /api/v1/pods` prints them
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "NamespaceList",
                "metadata": {"resourceVersion": "1"},
                "items": [{"metadata": {"name": "shop", "labels": {"team": "shop"}}}],
            }
        ),
        lambda c: c.namespace_objects["shop"].labels["team"] == "shop",
        file="namespaces.json",
    ),
    Accepted(
        "pod-list-without-item-kinds",
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "PodList",
                "items": [{"metadata": {"name": "web", "namespace": "shop"}, "spec": {"containers": []}}],
            }
        ),
        lambda c: _workload(c).kind == "Pod",
        file="pods.json",
    ),
    Accepted(
        "network-policy-list-without-item-kinds",
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicyList\nitems:\n"
        "- metadata: {name: db, namespace: shop}\n  spec: {podSelector: {}}\n",
        lambda c: c.policy_objects[0].ref == POLICY,
    ),
    Accepted(
        "deployment-list-item-with-its-kind",
        "apiVersion: apps/v1\nkind: DeploymentList\nitems:\n- kind: Deployment\n  apiVersion: apps/v1\n"
        "  metadata: {name: api, namespace: shop}\n  spec: {template: {spec: {containers: []}}}\n",
        lambda c: _workload(c).kind == "Deployment",
    ),
]


def _service(cluster: npk.Cluster) -> Service:
    return next(o for o in cluster.objects if isinstance(o, Service))


def _workload(cluster: npk.Cluster) -> Workload:
    return next(o for o in cluster.objects if isinstance(o, Workload))


def test_ids_are_unique():
    ids = [c.id for c in (*REFUSED, *ACCEPTED)]
    assert len(ids) == len(set(ids)), [i for i in ids if ids.count(i) > 1]


@pytest.mark.parametrize("case", REFUSED, ids=[c.id for c in REFUSED])
def test_refused(tmp_path: Path, case: Refused):
    path = tmp_path / case.file
    path.write_text(case.text, encoding="utf-8")
    start = time.monotonic()
    with pytest.raises(PolicyError) as caught:
        npk.load(path)
    elapsed = time.monotonic() - start
    err = caught.value
    assert (err.file, err.document, err.obj, err.path) == (str(path), case.document, case.obj, case.path), str(err)
    assert re.search(case.message, err.message), err.message
    assert len(str(err)) <= SHORT + len(str(path)), str(err)[:2000]
    assert elapsed < SECONDS, f"took {elapsed:.2f}s"


@pytest.mark.parametrize("case", ACCEPTED, ids=[c.id for c in ACCEPTED])
def test_accepted(tmp_path: Path, case: Accepted):
    path = tmp_path / case.file
    path.write_text(case.text, encoding="utf-8")
    start = time.monotonic()
    cluster = npk.load(path)
    assert case.check(cluster)
    assert time.monotonic() - start < SECONDS


# --------------------------------------------------------------------------- a trailing newline ends no name
#
# Kubernetes validates names, label keys and values against whole-string patterns (k8s.io/apimachinery
# pkg/util/validation/validation.go: labelValueRegexp = "^" + labelValueFmt + "$" with labelValueFmt
# "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?", qualifiedNameRegexp for key names, dns1123SubdomainRegexp for
# prefixes and names, dns1123LabelRegexp for namespaces; IsValidPortName in the same file). Go's "$" is the end of
# the text (regexp/syntax: OpEndText, "$" without the m flag, like \z), so "web\n" -- what a YAML "|" block gives --
# is refused there; Python's "$" also matches before a final "\n", which is why the model uses fullmatch.

PIPE_POD = (
    "apiVersion: v1\nkind: Pod\n"
    "metadata:\n  name: web\n  namespace: shop\n  labels:\n{labels}spec: {{containers: []}}\n"
)
NEWLINE_NP = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
LABEL_VALUE = r"^label value 'db\\n' must be at most 63 characters"

TRAILING_NEWLINE: list[Refused] = [
    Refused(
        "label-value-from-a-yaml-block",
        PIPE_POD.format(labels="    app: |\n      web\n"),
        "metadata.labels.app",
        r"^label value 'web\\n' must be at most 63 characters",
        obj="Pod shop/web",
    ),
    Refused(
        "label-key-name",
        PIPE_POD.format(labels='    "app\\n": web\n'),
        "metadata.labels.app\n",
        r"^label key name 'app\\n' must be 1-63 characters",
        obj="Pod shop/web",
    ),
    Refused(
        "label-key-prefix",
        PIPE_POD.format(labels='    "example.com\\n/app": web\n'),
        "metadata.labels.example.com\n/app",
        r"^label key prefix 'example.com\\n' must be a DNS subdomain",
        obj="Pod shop/web",
    ),
    Refused(
        "namespace-label-value",
        'apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {team: "a\\n"}}\n',
        "metadata.labels.team",
        r"^label value 'a\\n' must be",
        obj="Namespace shop",
    ),
    Refused(
        "match-labels-value-from-a-yaml-block",
        NP + "spec:\n  podSelector:\n    matchLabels:\n      app: |\n        db\n",
        "spec.podSelector.matchLabels.app",
        LABEL_VALUE,
    ),
    Refused(
        "match-expressions-value",
        NP + 'spec:\n  podSelector:\n    matchExpressions: [{key: app, operator: In, values: ["db\\n"]}]\n',
        "spec.podSelector.matchExpressions[0].values[0]",
        LABEL_VALUE,
    ),
    Refused(
        "match-expressions-key",
        NP + 'spec:\n  podSelector:\n    matchExpressions: [{key: "app\\n", operator: Exists}]\n',
        "spec.podSelector.matchExpressions[0].key",
        r"^label key name 'app\\n' must be 1-63 characters",
    ),
    Refused(
        "service-selector-value",
        SVC + 'spec:\n  selector: {app: "db\\n"}\n  ports: [{port: 80}]\n',
        "spec.selector.app",
        LABEL_VALUE,
        obj="Service shop/db",
    ),
    Refused(
        "object-name-from-a-yaml-block",
        NEWLINE_NP + "metadata:\n  name: |\n    db\n  namespace: shop\nspec: {podSelector: {}}\n",
        "metadata.name",
        r"^'db\\n' is not a valid name",
        obj="NetworkPolicy shop/db\n",
    ),
    Refused(
        "namespace-of-an-object",
        NEWLINE_NP + 'metadata: {name: db, namespace: "shop\\n"}\nspec: {podSelector: {}}\n',
        "metadata.namespace",
        r"^'shop\\n' is not a valid namespace name",
        obj="NetworkPolicy shop\n/db",
    ),
    Refused(
        "namespace-name",
        'apiVersion: v1\nkind: Namespace\nmetadata: {name: "shop\\n"}\n',
        "metadata.name",
        r"^'shop\\n' is not a valid name",
        obj="Namespace shop\n",
    ),
    Refused(
        "container-port-name",
        POD + 'spec:\n  containers:\n  - name: web\n    ports: [{name: "http\\n", containerPort: 80}]\n',
        "spec.containers[0].ports[0].name",
        r"^port name 'http\\n' must be 1-15 lowercase letters",
        obj="Pod shop/web",
    ),
    Refused(
        "policy-port-name",
        NP + 'spec:\n  podSelector: {}\n  ingress: [{ports: [{port: "http\\n"}]}]\n',
        "spec.ingress[0].ports[0].port",
        r"^port name 'http\\n' must be 1-15 lowercase letters",
    ),
    Refused(
        "kind-of-an-unknown-object",
        'apiVersion: example.com/v1\nkind: "Widget\\n"\nmetadata: {name: w, namespace: shop}\n',
        "kind",
        r"^'Widget\\n' is not a kind",
        obj=None,
    ),
    Refused(
        "api-version-of-an-unknown-object",
        'apiVersion: "example.com/v1\\n"\nkind: Widget\nmetadata: {name: w, namespace: shop}\n',
        "apiVersion",
        r"^'example.com/v1\\n' is not an apiVersion",
        obj=None,
    ),
]


@pytest.mark.parametrize("case", TRAILING_NEWLINE, ids=[c.id for c in TRAILING_NEWLINE])
def test_a_trailing_newline_is_not_the_end_of_a_name(tmp_path: Path, case: Refused):
    path = tmp_path / case.file
    path.write_text(case.text, encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        npk.load(path)
    err = caught.value
    assert (err.file, err.document, err.obj, err.path) == (str(path), case.document, case.obj, case.path), str(err)
    assert re.search(case.message, err.message), err.message


# (checker, text, valid): the same texts without the newline are valid, so only the newline is refused
WHOLE_STRINGS = [
    (labels.check_label_value, "web", True),
    (labels.check_label_value, "web\n", False),
    (labels.check_label_value, "\n", False),
    (labels.check_label_value, "a.b_c-D9", True),
    (labels.check_label_value, "a.b_c-D9\n", False),
    (labels.check_label_key, "app", True),
    (labels.check_label_key, "app\n", False),
    (labels.check_label_key, "example.com/app", True),
    (labels.check_label_key, "example.com/app\n", False),
    (labels.check_label_key, "example.com\n/app", False),
    (check_port_name, "http", True),
    (check_port_name, "http\n", False),
]


@pytest.mark.parametrize(
    ("check", "text", "valid"), WHOLE_STRINGS, ids=[f"{c.__name__}-{t!r}" for c, t, _ in WHOLE_STRINGS]
)
def test_label_and_port_name_checks_match_the_whole_string(check, text: str, valid: bool):
    assert (check(text) is None) == valid, check(text)
    assert (check(text) is None) == valid  # again: the remembered valid texts never include an invalid one


def test_the_memo_of_valid_labels_never_holds_an_invalid_one():
    """Checked in any order, the valid label texts are remembered and the ones with a newline are not."""
    for value in ("web", "web\n", "web"):
        labels.check_label_value(value)
    for key in ("example.com/app", "example.com/app\n"):
        labels.check_label_key(key)
    assert "web" in labels._VALID_VALUES and "example.com/app" in labels._VALID_KEYS
    assert not {t for t in labels._VALID_VALUES | labels._VALID_KEYS if t != t.strip() or "\n" in t}
    assert labels.check_label_value("web\n") is not None and labels.check_label_key("example.com/app\n") is not None


# --------------------------------------------------------------------------- paths and text


def test_an_empty_path_is_not_the_current_folder():
    with pytest.raises(PolicyError, match=r"^an empty path names no file or folder") as caught:
        npk.load("")
    assert caught.value.file is None


def test_an_over_long_path_is_a_policy_error_naming_it(tmp_path: Path):
    path = tmp_path / ("x" * 5000 + ".yaml")
    with pytest.raises(PolicyError, match=r"cannot read: File name too long") as caught:
        npk.load(path)
    assert caught.value.file == str(path)


def test_a_file_that_is_not_utf8_names_the_line(tmp_path: Path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"apiVersion: v1\nkind: Namespace\nmetadata: {name: caf\xe9}\n")
    with pytest.raises(PolicyError) as caught:
        npk.load(path)
    assert caught.value.file == str(path)
    assert caught.value.message == "line 3: not UTF-8 text: invalid continuation byte at byte 51"


def test_text_with_a_lone_surrogate_is_a_policy_error():
    with pytest.raises(PolicyError, match=r"invalid text: surrogates not allowed|unacceptable character #xd800"):
        npk.io.read_text('apiVersion: v1\nkind: Namespace\nmetadata: {name: "\ud800"}\n', "x.yaml")


def test_an_object_over_the_size_limit_is_refused(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr("netpolkit.io.decode.MAX_OBJECT_CHARS", 1000)
    item = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "big", "labels": {"a": "x" * 2000}}}
    small = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "small"}}
    text = json.dumps({"apiVersion": "v1", "kind": "List", "items": [small, item]})
    with pytest.raises(PolicyError) as caught:
        npk.io.read_text(text, "export.json")
    assert caught.value.document == "0, items[1]"
    assert re.fullmatch(
        r"line 1, column \d+: this object is 2,\d{3} characters long; netpolkit reads objects of at most "
        r"1,000 characters \(the API server refuses requests over 3 MiB\)",
        caught.value.message,
    ), caught.value.message
    yaml_text = "apiVersion: v1\nkind: List\nitems:\n- {kind: Namespace, apiVersion: v1, metadata: {name: small}}\n"
    yaml_text += "- {kind: Namespace, apiVersion: v1, metadata: {name: big, labels: {a: " + "x" * 2000 + "}}}\n"
    with pytest.raises(
        PolicyError, match=r"export.yaml: document 1, items\[1\]: Namespace big: line 5, column 3: this"
    ) as caught:
        npk.io.read_text(yaml_text, "export.yaml")
    assert (caught.value.document, caught.value.obj) == ("0, items[1]", "Namespace big")
    # A list as a whole may be larger than one object: only its items are bounded.
    many = {"apiVersion": "v1", "kind": "List", "items": [dict(small, metadata={"name": f"n{i}"}) for i in range(40)]}
    assert len(npk.io.read_text(json.dumps(many), "export.json")) == 40


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_an_endless_device_is_refused_at_its_first_nul():
    start = time.monotonic()
    with pytest.raises(PolicyError) as caught:
        npk.load("/dev/zero")
    assert (caught.value.file, caught.value.message) == (
        "/dev/zero",
        "byte 0: a NUL character: not a YAML or JSON text file",
    )
    assert time.monotonic() - start < SECONDS


def test_a_file_over_the_file_limit_is_refused_before_it_is_parsed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setattr("netpolkit.io.decode.MAX_FILE_BYTES", 100)
    path = tmp_path / "big.yaml"
    path.write_text("# " + "x" * 200 + "\n")
    with pytest.raises(PolicyError, match=r"is larger than") as caught:
        npk.load(path)
    assert caught.value.file == str(path)


def test_limits_are_documented_in_one_table():
    doc = limits.__doc__ or ""
    for name in limits.__all__:
        assert f"``{name}``" in doc, name
        assert isinstance(getattr(limits, name), int)
    assert limits.MAX_OBJECT_CHARS * 50 < limits.MAX_FILE_BYTES  # a file holds many objects


def test_an_error_a_dialect_parser_did_not_foresee_still_names_the_object(monkeypatch: pytest.MonkeyPatch):
    """A bug in a dialect's parser (a bare int() of the input, say) is still a PolicyError naming file, document
    and object, never a ValueError or RecursionError escaping the loader."""

    def parser(doc, namespace, name):
        return int(doc.data["spec"]["port"])

    monkeypatch.setitem(model._KINDS, ("example.com/v1", "Widget"), (True, parser, False))
    text = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: shop}\nspec: {port: '²'}\n"
    with pytest.raises(PolicyError) as caught:
        npk.Cluster.from_documents(npk.io.read_text(text, "widget.yaml"))
    err = caught.value
    assert (err.file, err.document, err.obj, err.path) == ("widget.yaml", 0, "Widget shop/w", None)
    assert err.message == "malformed object: invalid literal for int() with base 10: '²'"


def test_port_query_refuses_unicode_digits():
    with pytest.raises(ValueError, match=r"port number in 'TCP/²' must be 1-65535"):
        npk.PortQuery.parse("TCP/²")


def test_selector_trees_built_by_hand_are_bounded_too():
    node = parse_selector("has(a)")
    with pytest.raises(ValueError, match="at most 100 levels"):
        for _ in range(200):
            node = type(parse_selector("has(a) && has(b)"))(node, parse_selector("has(b)"))


# --------------------------------------------------------------------------- the CLI: one line, exit 2


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert len(lines) == 1, err[:2000]
    assert lines[0].startswith("netpolkit: error: ") and "Traceback" not in err
    assert len(lines[0]) < 1000, lines[0][:2000]
    return code, lines[0]


CHECK_CASES = [
    (
        "duplicate-expect-key",
        "expect:\n  - {from: shop/web, to: shop/api, port: 8080, allowed: true}\n"
        "expect:\n  - {from: shop/web, to: shop/db, port: 5432, allowed: false}\n",
        r"expect\.yaml: document 1: expect: line 3, column 1: duplicate key 'expect' \(first at line 1, column 1\)",
    ),
    (
        "alias-bomb-in-expect-port",
        f"expect:\n  - {{from: shop/web, to: shop/api, port: {bomb()}, allowed: true}}\n",
        r"expect\.yaml: document 1: expect\[0\]\.port\[0\]\[0\]\[0\]\[7\]: line 2, column \d+: aliases expand",
    ),
    (
        "alias-under-the-limit-in-expect-port",
        f"expect:\n  - {{from: shop/web, to: shop/api, port: [{bomb(5)}], allowed: true}}\n",
        r"expect\.yaml: expect\[0\]\.port: expected a port like 80 or 'TCP/80', got a list$",
    ),
    (
        "bad-externals-entry",
        "externals: {internet: 'not an ip'}\nexpect:\n  - {from: shop/web, to: shop/api, port: 80, allowed: true}\n",
        r"expect\.yaml: externals\.internet: 'not an ip' is not an IP address$",
    ),
    (
        "externals-range",
        "externals: {office: 10.0.0.0/8}\nexpect:\n  - {from: shop/web, to: shop/api, port: 80, allowed: true}\n",
        r"expect\.yaml: externals\.office: give one address, not the range 10\.0\.0\.0/8$",
    ),
    (
        "unknown-top-level-field",
        "expects:\n  - {from: shop/web, to: shop/api, port: 80, allowed: true}\n",
        r"expect\.yaml: expects: unknown field 'expects' \(did you mean 'expect'\?\)",
    ),
    (
        "port-superscript",
        "expect:\n  - {from: shop/web, to: shop/api, port: 'TCP/²', allowed: true}\n",
        r"expect\.yaml: expect\[0\]\.port: port number in 'TCP/²' must be 1-65535$",
    ),
    (
        "port-huge-number",
        "expect:\n  - {from: shop/web, to: shop/api, port: 0x" + "f" * 5000 + ", allowed: true}\n",
        r"expect\.yaml: expect\[0\]\.port: port number <a number of about \d+ digits> must be 1-65535$",
    ),
    (
        "two-documents",
        "expect: []\n---\nexpect: []\n",
        r"expect\.yaml: expected one YAML document, found 2$",
    ),
    (
        "deep",
        "expect: " + "[" * 5000 + "]" * 5000 + "\n",
        r"expect\.yaml: document 1: expect\[0\]\[0\].*: line 1, column \d+: nested more than 200 levels deep",
    ),
]


@pytest.mark.parametrize(("text", "pattern"), [c[1:] for c in CHECK_CASES], ids=[c[0] for c in CHECK_CASES])
def test_check_reads_the_expectation_file_as_strictly_as_a_manifest(capsys, tmp_path: Path, text: str, pattern: str):
    expect = tmp_path / "expect.yaml"
    expect.write_text(text, encoding="utf-8")
    start = time.monotonic()
    code, line = run(capsys, "check", CLUSTER, "--expect", str(expect))
    assert time.monotonic() - start < SECONDS
    assert code == 2
    assert re.search(pattern, line), line


def test_check_reads_a_json_expectation_file_as_json(capsys, tmp_path: Path):
    expect = tmp_path / "expect.json"
    expect.write_text('{"expect": [], "expect": []}', encoding="utf-8")
    code, line = run(capsys, "check", CLUSTER, "--expect", str(expect))
    assert code == 2 and "expect.json: document 1: expect: line 1, column 16: duplicate key 'expect'" in line


@pytest.mark.parametrize(
    ("argv", "pattern"),
    [
        (["matrix", "x" * 5000 + ".yaml", "--port", "80"], r"cannot read: File name too long$"),
        (["matrix", "", "--port", "80"], r"error: an empty path names no file or folder"),
        (["check", CLUSTER, "--expect", "x" * 5000], r"cannot read: File name too long$"),
        (
            [
                "explain",
                CLUSTER,
                "--from",
                "shop/web",
                "--to",
                "shop/db",
                "--port",
                "80",
                "--external",
                "a=fe80::1%eth0",
            ],
            r"IPv6 zone",
        ),
        (
            ["explain", CLUSTER, "--from", "x" * 10_000, "--to", "shop/db", "--port", "80"],
            r"--from 'xxx.*\.\.\..*': not an endpoint id",
        ),
    ],
    ids=["long-path", "empty-path", "long-expect-path", "external-with-zone", "long-endpoint"],
)
def test_cli_path_and_argument_errors_are_one_line(capsys, argv: list[str], pattern: str):
    code, line = run(capsys, *argv)
    assert code == 2 and re.search(pattern, line), line


def test_cli_reads_a_hostile_stdin(capsys, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("[" * 20_000 + "]" * 20_000))
    code, line = run(capsys, "matrix", "-", "--port", "80")
    assert code == 2 and "<stdin>: document 1:" in line and "nested more than 200 levels deep" in line


@pytest.mark.parametrize(
    ("error", "pattern"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), r"^netpolkit: error: No space left on device$"),
        (RecursionError("maximum recursion depth exceeded"), r"nested too deeply"),
        (MemoryError(), r"out of memory"),
        (ZeroDivisionError("division by zero"), r"internal error \(ZeroDivisionError: division by zero\)"),
    ],
    ids=["oserror", "recursion", "memory", "bug"],
)
def test_cli_turns_any_exception_into_one_line(capsys, monkeypatch: pytest.MonkeyPatch, error, pattern):
    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr("netpolkit.cli.reachability", fail)
    code, line = run(capsys, "matrix", CLUSTER, "--port", "80")
    assert code == 2 and re.search(pattern, line), line


def test_cli_output_error_is_one_line(capsys, monkeypatch: pytest.MonkeyPatch):
    class Full(io.StringIO):
        def write(self, text: str) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("sys.stdout", Full())
    code = main(["matrix", CLUSTER, "--port", "80"])
    err = capsys.readouterr().err
    assert code == 2 and err == "netpolkit: error: No space left on device\n"


@pytest.mark.parametrize(
    ("externals", "says"),
    [
        ({"x": "fe80::1%eth0"}, "has a zone"),
        ({"x": "10.0.0.0/24"}, "give one address"),
        ({"x" * 10_000: "192.0.2.1"}, "contain no '/'"),
    ],
)
def test_bad_externals_in_the_python_api_get_a_short_clear_error(externals, says):
    with pytest.raises(ValueError, match=says) as caught:
        npk.Cluster.from_objects([], externals)
    assert len(str(caught.value)) < 200
