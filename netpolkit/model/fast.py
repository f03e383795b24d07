"""The plain shape of the objects an export is made of, parsed straight from their dicts.

A ``kubectl get -A -o json`` export is mostly Pods (and the workloads that own them), Namespaces, Services and
NetworkPolicies, each in one plain, valid shape. :func:`parse_common` reads exactly that shape without a
:class:`~netpolkit.model.fields.Reader` per field: it checks every field the strict parser reads, with the same
rules, and builds the same object. At the first thing that is not plainly valid (a wrong type, a field the strict
parser refuses, a name or label the API server would refuse, anything rare) it returns ``None`` and the strict
parser (:func:`netpolkit.model.parse_object`) reads the object again: it decides and explains, so errors and
warnings come from one place and the two cannot disagree (``tests/test_fast_load.py`` holds them to that).

The checks may be stricter than the strict parser's (a ``Mapping`` that is not a ``dict``, an IPv6 pod IP: the
strict parser takes those), never more lenient.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from netpolkit.errors import PolicyError, Where
from netpolkit.model.fields import Reader
from netpolkit.model.k8s import (
    IP_BLOCK_FIELDS,
    PEER_FIELDS,
    POLICY_TYPES,
    PORT_FIELDS,
    SPEC_FIELDS,
    IPBlock,
    NetworkPolicy,
    Peer,
    PortSpec,
    Rule,
    _parse_ip_block,
    ip_problem,
)
from netpolkit.model.labels import (
    EXPRESSION_FIELDS,
    OPERATORS,
    SELECTOR_FIELDS,
    LabelSelector,
    Requirement,
    check_label_key,
    check_label_value,
)
from netpolkit.model.names import DNS_LABEL, DNS_SUBDOMAIN, METADATA_FIELDS
from netpolkit.model.ports import PROTOCOLS, check_port_name, is_decimal
from netpolkit.model.resources import (
    _PORTS,
    _STR_OR_NONE,
    MAX_ANNOTATIONS_BYTES,
    SERVICE_TYPES,
    WORKLOAD_API_VERSIONS,
    WORKLOAD_KINDS,
    ContainerPort,
    Namespace,
    Service,
    ServicePort,
    Workload,
    _parse_container_port,
)

__all__ = ["COMMON_KINDS", "forget_kind", "parse_common"]

# Values that repeat across thousands of objects are checked once each; bounded, so that hostile input of millions
# of distinct ones cannot grow them without end.
_MAX_REMEMBERED = 10_000
_NAMESPACES: set[str] = set()  # valid namespace names
_BLOCKS: dict[tuple[str, tuple[str, ...]], IPBlock] = {}  # (cidr, except) -> the valid ipBlock
_EVERYTHING = LabelSelector()

_NETWORK_POLICY_FIELDS = frozenset(("apiVersion", "kind", "metadata", "spec", "status"))
_METADATA_FIELDS = frozenset(METADATA_FIELDS)
_SPEC_FIELDS = frozenset(SPEC_FIELDS)
_INGRESS_FIELDS = frozenset(("from", "ports"))
_EGRESS_FIELDS = frozenset(("to", "ports"))
_PEER_FIELDS = frozenset(PEER_FIELDS)
_SELECTOR_FIELDS = frozenset(SELECTOR_FIELDS)
_EXPRESSION_FIELDS = frozenset(EXPRESSION_FIELDS)
_PORT_FIELDS = frozenset(PORT_FIELDS)
_IP_BLOCK_FIELDS = frozenset(IP_BLOCK_FIELDS)


def parse_common(obj: Any, default_namespace: str) -> Any | None:
    """The object a plain, valid Pod, workload, Namespace, Service or NetworkPolicy document stands for; else None.

    ``None`` means only "not plainly valid": the strict parser must read ``obj`` (and may accept it).
    """
    if type(obj) is not dict:
        return None
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    if type(api_version) is not str or type(kind) is not str:
        return None
    parse = COMMON_KINDS.get((api_version, kind))
    return parse(obj, kind, default_namespace) if parse is not None else None


def forget_kind(api_version: str, kind: str) -> None:
    """Leave a kind to the strict parser alone (when a new parser is registered for it)."""
    COMMON_KINDS.pop((api_version, kind), None)


def _remember(found: set[str] | dict[Any, Any]) -> None:
    if len(found) >= _MAX_REMEMBERED:
        found.clear()


# ---- metadata --------------------------------------------------------------------------------------------------


def _head(obj: dict[str, Any], kind: str, default_namespace: str, namespaced: bool) -> tuple[Any, ...] | None:
    """(metadata, namespace, name, labels) when the metadata is plainly valid (as ``parse_object`` checks it)."""
    meta = obj.get("metadata")
    if type(meta) is not dict:
        return None
    name = meta.get("name")
    if type(name) is not str or len(name) > 253:
        return None
    namespace = ""
    if namespaced:
        given = meta.get("namespace")
        if given is not None and type(given) is not str:
            return None
        namespace = given or default_namespace
        if namespace not in _NAMESPACES:
            if len(namespace) > 63 or not DNS_LABEL.fullmatch(namespace):
                return None
            _remember(_NAMESPACES)
            _NAMESPACES.add(namespace)
    if not (DNS_LABEL if kind == "Namespace" else DNS_SUBDOMAIN).fullmatch(name):
        return None
    labels = _labels(meta.get("labels"))
    if labels is None or not _annotations_valid(meta.get("annotations")):
        return None
    return meta, namespace, name, labels


def _labels(value: Any) -> dict[str, str] | None:
    """A copy of a label map whose keys and values are all valid (missing: empty), else None."""
    if value is None:
        return {}
    if type(value) is not dict:
        return None
    for key, text in value.items():
        if type(key) is not str or type(text) is not str or check_label_key(key) or check_label_value(text):
            return None
    return dict(value)


def _annotations_valid(value: Any) -> bool:
    """Whether annotations are missing, or strings under valid keys within the API server's size limit."""
    if value is None:
        return True
    if type(value) is not dict:
        return False
    total = 0
    for key, text in value.items():
        if type(key) is not str or type(text) is not str or check_label_key(key.lower()):
            return False
        total += len(key) + len(text) if key.isascii() and text.isascii() else len(key.encode()) + len(text.encode())
    return total <= MAX_ANNOTATIONS_BYTES


def _string(mapping: dict[str, Any], key: str, default: Any = None) -> Any:
    """The field as the strict reader's ``string`` gives it; ``False`` (never a valid string) when it is not one."""
    value = mapping.get(key)
    if value is None:
        return default
    return value if type(value) is str else False


# ---- workloads -------------------------------------------------------------------------------------------------


def _workload(obj: dict[str, Any], kind: str, default_namespace: str) -> Workload | None:
    """A Pod or workload, as ``resources.parse_workload`` reads it."""
    head = _head(obj, kind, default_namespace, True)
    if head is None:
        return None
    meta, namespace, name, labels = head
    template: Any = obj
    for key in WORKLOAD_KINDS[kind]:
        template = template.get(key)
        if type(template) is not dict:
            return None
    if kind != "Pod":
        template_meta = template.get("metadata")
        if template_meta is not None and type(template_meta) is not dict:
            return None
        labels = _labels(template_meta.get("labels")) if template_meta is not None else {}
        if labels is None:
            return None
    spec = template.get("spec")
    if type(spec) is not dict:
        return None
    ports = _container_ports(spec.get("containers"))
    if ports is None:
        return None
    replicas: Any = 1
    if kind != "Pod":
        top: Any = obj["spec"]
        if kind == "CronJob":
            top = top["jobTemplate"]["spec"]
        replicas = top.get("parallelism" if kind in ("Job", "CronJob") else "replicas")
        if replicas is None:
            replicas = 1
        elif type(replicas) is not int or replicas < 0:
            return None
    ip = None
    if kind == "Pod":
        status = obj.get("status")
        if status is not None:
            if type(status) is not dict:
                return None
            ip = status.get("podIP")
            if ip is not None and (type(ip) is not str or ip_problem(ip) is not None):
                return None
    account = _string(spec, "serviceAccountName")
    if account is False:
        return None
    if not account:
        account = _string(spec, "serviceAccount")
        if account is False:
            return None
        account = account or "default"
    controlled = _controlled(meta.get("ownerReferences"))
    node = _string(spec, "nodeName")
    host_network = spec.get("hostNetwork")
    if host_network is None:
        host_network = False
    if controlled is None or node is False or type(host_network) is not bool:
        return None
    return Workload(
        kind,
        namespace,
        name,
        labels,
        ports,
        replicas,
        ip,
        account,
        node,
        controlled=kind == "Pod" and controlled,
        host_network=host_network,
    )


def _controlled(owners: Any) -> bool | None:
    """Whether some owner reference is the controller; None when the list is not plainly valid."""
    if owners is None:
        return False
    if type(owners) is not list:
        return None
    controlled = False
    for owner in owners:
        if type(owner) is not dict:
            return None
        flag = owner.get("controller", False)
        if flag is None:
            continue
        if type(flag) is not bool:
            return None
        controlled = controlled or flag
    return controlled


def _container_ports(containers: Any) -> tuple[ContainerPort, ...] | None:
    """Every container's ports, each valid and no name twice in one container; None otherwise."""
    if containers is None:
        return ()
    if type(containers) is not list:
        return None
    ports: list[ContainerPort] = []
    for container in containers:
        if type(container) is not dict:
            return None
        entries = container.get("ports")
        if entries is None:
            continue
        if type(entries) is not list:
            return None
        names: set[str] = set()
        for entry in entries:
            if type(entry) is not dict:
                return None
            key = (entry.get("containerPort"), entry.get("protocol"), entry.get("name"))
            # exact types before the lookup: 8080.0 and True would find the entries of 8080 and 1
            if type(key[0]) is not int or type(key[1]) not in _STR_OR_NONE or type(key[2]) not in _STR_OR_NONE:
                return None
            port = _PORTS.get(key)  # the strict parser's valid ports, each checked once
            if port is None:
                port = _container_port(entry)
                if port is None:
                    return None
            if port.name:
                if port.name in names:
                    return None
                names.add(port.name)
            ports.append(port)
    return tuple(ports)


def _container_port(entry: dict[str, Any]) -> ContainerPort | None:
    """A port not seen before, checked (and remembered) by the strict parser; None when it is not valid."""
    try:
        return _parse_container_port(Reader(entry, "", Where()))
    except PolicyError:  # the strict parser reads the object again and says what is wrong, naming the object
        return None


# ---- Namespaces and Services -----------------------------------------------------------------------------------


def _namespace(obj: dict[str, Any], kind: str, default_namespace: str) -> Namespace | None:
    """A Namespace, as ``resources.parse_namespace`` reads it."""
    head = _head(obj, kind, default_namespace, False)
    if head is None:
        return None
    _, _, name, labels = head
    labels["kubernetes.io/metadata.name"] = name
    return Namespace(name, labels)


def _service(obj: dict[str, Any], kind: str, default_namespace: str) -> Service | None:
    """A Service, as ``resources.parse_service`` reads it."""
    head = _head(obj, kind, default_namespace, True)
    if head is None:
        return None
    _, namespace, name, _ = head
    spec = obj.get("spec")
    if spec is None:
        return Service(namespace, name, "ClusterIP", {})
    if type(spec) is not dict:
        return None
    service_type = _string(spec, "type", "ClusterIP")
    if service_type == "":
        service_type = "ClusterIP"
    selector = _labels(spec.get("selector"))
    cluster_ip = _string(spec, "clusterIP")
    if service_type not in SERVICE_TYPES or selector is None or cluster_ip is False:
        return None
    entries = spec.get("ports")
    if entries is None:
        entries = ()
    elif type(entries) is not list:
        return None
    ports = []
    for entry in entries:
        if type(entry) is not dict:
            return None
        number = entry.get("port")
        protocol = _string(entry, "protocol", "TCP")
        port_name = _string(entry, "name", "")
        if type(number) is not int or not 1 <= number <= 65535 or protocol not in PROTOCOLS or port_name is False:
            return None
        target = entry.get("targetPort")
        if target is None or target == "" or target == 0:
            if target is not None and type(target) is not int and type(target) is not str:
                return None
            target = number
        elif type(target) is int:
            if not 1 <= target <= 65535:
                return None
        elif type(target) is not str or is_decimal(target) or check_port_name(target):
            return None
        ports.append(ServicePort(number, target, protocol, port_name))
    return Service(namespace, name, service_type, selector, tuple(ports), cluster_ip)


# ---- NetworkPolicy ---------------------------------------------------------------------------------------------


def _network_policy(obj: dict[str, Any], kind: str, default_namespace: str) -> NetworkPolicy | None:
    """A NetworkPolicy, as ``k8s.parse_network_policy`` reads it (and ``parse_object`` its top-level fields)."""
    if not _NETWORK_POLICY_FIELDS.issuperset(obj):
        return None
    head = _head(obj, kind, default_namespace, True)
    if head is None:
        return None
    meta, namespace, name, _ = head
    spec = obj.get("spec")
    if type(spec) is not dict or not _METADATA_FIELDS.issuperset(meta) or not _SPEC_FIELDS.issuperset(spec):
        return None
    selector = spec.get("podSelector")
    pod_selector = _selector(selector) if selector is not None else _EVERYTHING
    ingress = _rules(spec.get("ingress"), "from", _INGRESS_FIELDS)
    egress = _rules(spec.get("egress"), "to", _EGRESS_FIELDS)
    if pod_selector is None or ingress is None or egress is None:
        return None
    written = spec.get("policyTypes")
    if not written:
        if written is not None and type(written) is not list:  # "" or 0: not a list
            return None
        policy_types: tuple[str, ...] = ("Ingress", "Egress") if egress else ("Ingress",)
    else:
        if type(written) is not list or len(written) > len(POLICY_TYPES):
            return None
        for value in written:
            if type(value) is not str or value not in POLICY_TYPES:
                return None
        policy_types = tuple(t for t in POLICY_TYPES if t in written)
    return NetworkPolicy(namespace, name, pod_selector, policy_types, ingress, egress)


def _rules(entries: Any, peers_key: str, fields: frozenset[str]) -> tuple[Rule, ...] | None:
    if entries is None:
        return ()
    if type(entries) is not list:
        return None
    rules = []
    for entry in entries:
        if type(entry) is not dict or not fields.issuperset(entry):
            return None
        peers = _each(entry.get(peers_key), _peer)
        ports = _each(entry.get("ports"), _port)
        if peers is None or ports is None:
            return None
        rules.append(Rule(peers, ports))
    return tuple(rules)


def _each(entries: Any, parse: Callable[[dict[str, Any]], Any]) -> tuple[Any, ...] | None:
    """``parse`` of each mapping of a list (missing: none); None when the list or one of them is not plain."""
    if entries is None:
        return ()
    if type(entries) is not list:
        return None
    parsed = []
    for entry in entries:
        if type(entry) is not dict:
            return None
        value = parse(entry)
        if value is None:
            return None
        parsed.append(value)
    return tuple(parsed)


def _peer(peer: dict[str, Any]) -> Peer | None:
    if not _PEER_FIELDS.issuperset(peer):
        return None
    pods, namespaces, block = peer.get("podSelector"), peer.get("namespaceSelector"), peer.get("ipBlock")
    if block is not None:
        if pods is not None or namespaces is not None or type(block) is not dict:
            return None
        ip_block = _ip_block(block)
        return Peer(ip_block=ip_block) if ip_block is not None else None
    if pods is None and namespaces is None:
        return None
    pod_selector = _selector(pods) if pods is not None else None
    namespace_selector = _selector(namespaces) if namespaces is not None else None
    if (pods is not None and pod_selector is None) or (namespaces is not None and namespace_selector is None):
        return None
    return Peer(pod_selector=pod_selector, namespace_selector=namespace_selector)


def _ip_block(block: dict[str, Any]) -> IPBlock | None:
    """An ipBlock, checked by the strict parser once per distinct (cidr, except)."""
    if not _IP_BLOCK_FIELDS.issuperset(block):
        return None
    cidr, excepts = block.get("cidr"), block.get("except")
    if excepts is None:
        excepts = ()
    elif type(excepts) is not list:
        return None
    if type(cidr) is not str or any(type(e) is not str for e in excepts):
        return None
    key = (cidr, tuple(excepts))
    known = _BLOCKS.get(key)
    if known is None:
        try:
            known = _parse_ip_block(Reader(block, "", Where()))
        except (PolicyError, TypeError, AttributeError, LookupError, ValueError, ArithmeticError):
            # The strict parser reads the object again and says what is wrong, naming the object.
            return None
        _remember(_BLOCKS)
        _BLOCKS[key] = known
    return known


def _selector(selector: Any) -> LabelSelector | None:
    """A label selector, as ``labels.parse_label_selector`` reads it."""
    if type(selector) is not dict or not _SELECTOR_FIELDS.issuperset(selector):
        return None
    if not selector:
        return _EVERYTHING
    labels = _labels(selector.get("matchLabels"))
    expressions = selector.get("matchExpressions")
    if labels is None or (expressions is not None and type(expressions) is not list):
        return None
    requirements = {Requirement(key, "In", (value,)) for key, value in labels.items()}
    for expression in expressions or ():
        requirement = _requirement(expression)
        if requirement is None:
            return None
        requirements.add(requirement)
    return LabelSelector(tuple(sorted(requirements)))


def _requirement(expression: Any) -> Requirement | None:
    if type(expression) is not dict or not _EXPRESSION_FIELDS.issuperset(expression):
        return None
    key, operator, values = expression.get("key"), expression.get("operator"), expression.get("values")
    if type(key) is not str or check_label_key(key) or type(operator) is not str or operator not in OPERATORS:
        return None
    if values is None:
        values = []
    elif type(values) is not list:
        return None
    for value in values:
        if type(value) is not str or check_label_value(value):
            return None
    if (operator in ("In", "NotIn")) != bool(values):  # In and NotIn need values, Exists and DoesNotExist take none
        return None
    return Requirement(key, operator, tuple(sorted(set(values))))


def _port(entry: dict[str, Any]) -> PortSpec | None:
    if not _PORT_FIELDS.issuperset(entry):
        return None
    protocol = _string(entry, "protocol", "TCP")
    port, end_port = entry.get("port"), entry.get("endPort")
    if protocol not in PROTOCOLS:
        return None
    if type(port) is int:
        if not 1 <= port <= 65535:
            return None
    elif type(port) is str:
        if is_decimal(port) or check_port_name(port):
            return None
    elif port is not None:
        return None
    if end_port is not None and (type(end_port) is not int or type(port) is not int or not port <= end_port <= 65535):
        return None
    return PortSpec(protocol, port, end_port)


_Parser = Callable[[dict[str, Any], str, str], Any]
COMMON_KINDS: dict[tuple[str, str], _Parser] = {
    ("v1", "Namespace"): _namespace,
    ("v1", "Service"): _service,
    ("networking.k8s.io/v1", "NetworkPolicy"): _network_policy,
}
"""(apiVersion, kind) -> its plain-shape parser; the same kinds and versions ``parse_object`` reads them under."""
for _kind, _api_version in WORKLOAD_API_VERSIONS.items():
    COMMON_KINDS[(_api_version, _kind)] = _workload
