"""Lab self-checks: compare a participant's policies with a lab's target reachability and hint at the mistake.

A lab (``manifests/labs/<id>/``, see ``docs/labs.md``) is a scenario, the ports it speaks about and a target: the
exact set of allowed connections. :func:`check` applies the participant's YAML to the scenario, compares every
ordered pair of distinct endpoints with the target and answers with a :class:`CheckResult`: passed, not done,
invalid (the :class:`~netpolkit.PolicyError` message, never a traceback), or wrong with the differing cells, a
diff heatmap per differing port and a hint aimed at the most likely mistake.

A participant writes the answer in ``labs/answers/<lab-id>.yaml`` (:meth:`Lab.answer_file` creates it from a
template on first run); git ignores that folder, so ``git pull`` never meets a participant's answer.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from netpolkit.cluster import Cluster
from netpolkit.course import manifests_dir
from netpolkit.engine import get_profile
from netpolkit.engine.explanation import ALLOWED_BY_RULE, DENIED_BY_RULE, Explanation
from netpolkit.errors import PolicyError, Where
from netpolkit.io.manifests import read_documents, read_text
from netpolkit.matrix import Reachability, reachability
from netpolkit.model import Service, Workload, parse_object
from netpolkit.model.admin import ADMIN, BASELINE, AdminPeer, AdminPolicy, Selection
from netpolkit.model.calico import CalicoPolicy
from netpolkit.model.document import Document
from netpolkit.model.k8s import NetworkPolicy
from netpolkit.model.ports import PortQuery
from netpolkit.readable import plural, reasons, styled, verdict

__all__ = ["ANSWERS_ENV_VAR", "HINTS", "AnswerFile", "CheckResult", "Lab", "answers_dir", "check", "labs"]

ANSWERS_ENV_VAR = "NETPOLKIT_ANSWERS"
"""Environment variable naming the folder of answer files, instead of ``labs/answers/`` of the checkout."""

PASSED, NOT_DONE, WRONG, INVALID = "passed", "not done", "wrong", "invalid"

HINTS: dict[str, str] = {
    "invalid": (
        "Your answer could not be read as policies. Fix the place the message points to (a line and column, or a "
        "document and field) and check again."
    ),
    "not-done": "Write your policies as YAML in your answer file (the link above), save it, then run the check again.",
    "no-effect": (
        "Your policies changed no verdict at all. Does the policy's selector select the pods you mean (their labels, "
        "and the policy's own metadata.namespace)? Does policyTypes name the direction you want to restrict?"
    ),
    "service-port": (
        "You used {port}, which is a Service port. Policies see the connection after the Service has translated it, "
        "so they must name the pod's container port: {target}."
    ),
    "named-port": (
        "The named port {name!r} is not the name of any container port of the destination pods. A named port in a "
        "policy refers to the destination pod's containerPort name, never to a Service port name."
    ),
    "dns-tcp": (
        "DNS works over UDP here but {cell} is blocked: DNS also needs TCP 53 (truncated answers are retried over "
        "TCP). Add TCP 53 next to UDP 53."
    ),
    "missing-dns": (
        "{cell} is blocked: once a pod's egress is isolated, it needs an egress rule to the cluster DNS (pods "
        "k8s-app=kube-dns in namespace kube-system, UDP and TCP 53), or every name lookup fails."
    ),
    "or-instead-of-and": (
        "{cell} is allowed but should not be. Your namespaceSelector and podSelector are two separate list items, "
        "which means OR (any pod of those namespaces, or those pods of the policy's own namespace). Put both "
        "selectors in ONE list item (no dash before podSelector) to mean AND."
    ),
    "missing-namespace-selector": (
        "{cell} is blocked. A peer with only a podSelector matches pods of the policy's own namespace; to admit "
        "pods of another namespace, add a namespaceSelector in the same list item as the podSelector."
    ),
    "calico-order": (
        "{cell} is blocked by {policy}, which Calico runs before your policy: policies run by ascending order (no "
        "order = last), ties broken by name. Give your policy an order lower than the one that denies."
    ),
    "other-side": (
        "{cell} is blocked on the other side: {side}. A connection needs the source's egress AND the destination's "
        "ingress to allow it."
    ),
    "pass-instead-of-deny": (
        "{cell} is allowed but should be blocked. Your rule {rule} says Pass, and Pass refuses nothing: it skips the "
        "rest of the Admin tier and hands the connection to the namespace owners' NetworkPolicies (then the "
        "Baseline tier), which let it through. To refuse it whatever the namespace owners write, say Deny."
    ),
    "accept-skips-owners": (
        "{cell} is allowed but should be blocked. Your rule {rule} accepts it in the Admin tier, which is final: the "
        "namespace owners' NetworkPolicies, which would refuse it, are never asked. To leave the decision to "
        "them, say Pass."
    ),
    "baseline-instead-of-admin": (
        "{cell} is allowed but should be blocked. Your policy {policy} is in the Baseline tier, which is asked only "
        "for what the Admin tier and the namespace owners' NetworkPolicies left undecided, and here one of them "
        "decided first. A guardrail nobody may override belongs in the Admin tier (tier: Admin)."
    ),
    "admin-priority": (
        "{cell} is decided by {winner} ({position}) before your {policy} ({yours}) is asked. In a tier, lower "
        "priority numbers run first (equal priorities are left to the implementation): give yours a lower number."
    ),
    "wrong-subject": (
        "{cell} is {got}: the subject of your {policy} {what}. The subject picks the pods a policy protects (the "
        "destinations of its ingress rules, the sources of its egress rules); from/to pick the other end."
    ),
    "too-open": "{cell} is allowed but should be blocked ({why}). Narrow the peers or the ports of that rule.",
    "too-closed": "{cell} should be allowed but is blocked ({why}).",
}


def _labs_dir() -> Path:
    return manifests_dir() / "labs"


def labs() -> list[str]:
    """The lab ids, in order."""
    return sorted(p.name for p in _labs_dir().iterdir() if (p / "lab.yaml").is_file())


@dataclass(frozen=True)
class Lab:
    """One lab: its text, scenario, ports, target and lab-specific hint texts."""

    id: str
    title: str
    story: str
    goal: str
    profile: str
    ports: tuple[str, ...]
    target_cells: frozenset[tuple[str, str, str]]
    target_mode: str  # "allow": exactly these cells allowed; "block": exactly these blocked
    externals: dict[str, str] = field(default_factory=dict)
    answer_namespace: str = "default"
    concepts: tuple[int, ...] = ()
    hints: dict[str, str] = field(default_factory=dict)
    folder: Path = Path()

    @classmethod
    def load(cls, lab_id: str) -> Lab:
        """Read ``manifests/labs/<lab_id>/lab.yaml`` (a PolicyError names the field when it is malformed)."""
        return _load_lab(lab_id)

    def scenario(self) -> Cluster:
        """The starting cluster."""
        return _scenario(self.id)

    def target_frame(self, port: str) -> pd.DataFrame:
        """The goal for one port, as a bool DataFrame like :meth:`Reachability.frame` (the diagonal never counts)."""
        query = str(PortQuery.parse(port))
        ids = list(self.scenario().table.ids)
        frame = pd.DataFrame(
            self.target_mode == "block", index=pd.Index(ids, name="source"), columns=pd.Index(ids, name="destination")
        )
        for src, dst, cell_port in self.target_cells:
            if cell_port == query:
                frame.loc[src, dst] = self.target_mode == "allow"
        # Self pairs never count; show them as the profile would decide them alone (allowed if it allows self traffic).
        self_allowed = get_profile(self.profile).self_traffic == "allow"
        for endpoint in ids:
            frame.loc[endpoint, endpoint] = self_allowed or bool(frame.loc[endpoint, endpoint])
        return frame

    def cells_to_change(self) -> pd.DataFrame:
        """The cells where the starting cluster differs from the goal: from, to, port, now, goal (allowed/blocked).

        Self pairs never count. This is what an answer has to change, and nothing else.
        """
        now = _starting_reach(self.id, self.ports, self.profile)
        rows = [
            {"from": src, "to": dst, "port": port, "now": verdict(before), "goal": verdict(after)}
            for port in self.ports
            for src, dst, before, after in _differing(now.frame(port), self.target_frame(port))
        ]
        return pd.DataFrame(rows, columns=["from", "to", "port", "now", "goal"])

    def change_heatmaps(self) -> list:
        """One panel per port on which the goal differs from now, marking only the cells you must change.

        Blue ``+``: blocked now, must become allowed; vermillion ``-``: allowed now, must become blocked; muted:
        already as the goal wants. Returns the :class:`~netpolkit.plot.DiffDisplay` panels (empty when nothing
        differs); ``[0].figure_`` is the figure.
        """
        from netpolkit import plot

        now = _starting_reach(self.id, self.ports, self.profile)
        frames = {
            port: _change_states(now.frame(port), self.target_frame(port), now.frame(port)) for port in self.ports
        }
        changing = {port: frame for port, frame in frames.items() if _has_change(frame)}
        if not changing:
            return []
        return plot.diff_panels(
            changing,
            now.endpoints,
            profile=self.profile,
            labels=CHANGE_LABELS,
            title="cells you must change",
        )

    def show(self) -> None:
        """Display the story, the goal and one picture of the cells you must change (in a notebook)."""
        from IPython.display import Markdown, display

        from netpolkit import plot

        display(Markdown(f"## {self.title}\n\n{self.story}\n\n**Goal.** {self.goal}"))
        to_change = self.cells_to_change()
        panels = self.change_heatmaps()
        if panels:
            display(panels[0].figure_)
            plot.plt.close(panels[0].figure_)
        display(Markdown(_change_summary(self, to_change)))

    @property
    def answer_path(self) -> Path:
        """Where this lab's answer lives: ``<answers_dir()>/<lab id>.yaml`` (git ignores the folder)."""
        return answers_dir() / f"{self.id}.yaml"

    def answer_template(self) -> str:
        """The text a new answer file starts with: the lab's title and goal as comments, and what to do."""
        goal = "\n".join(f"#   {line}".rstrip() for line in self.goal.splitlines())
        return (
            f"# Lab {self.id}: {self.title}\n"
            f"# Goal:\n{goal}\n#\n"
            "# Write your policies below this comment, as YAML: one or more documents separated by a line ---.\n"
            "# Save the file (Ctrl+S), then run the check cell of the lab notebook. Lines starting with #\n"
            "# are ignored. This file is yours: git ignores labs/answers/, so `git pull` never touches it.\n"
            "# To start over, delete it and run the answer cell again.\n"
        )

    def answer_file(self) -> AnswerFile:
        """Your answer file, created from :meth:`answer_template` when it does not exist yet; shows as a link."""
        path = self.answer_path
        created = not path.exists()
        if created:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(self.answer_template(), encoding="utf-8")
        return AnswerFile(path, created)

    def check(self, answer: str | os.PathLike[str] | None = None) -> CheckResult:
        """Apply ``answer`` to the scenario and compare with the target.

        ``answer``: policy YAML as text, or a file (an :class:`AnswerFile`, a Path); None reads :attr:`answer_path`.
        """
        return check(self, self.answer_path if answer is None else answer)


CHANGE_LABELS = {
    "newly allowed": "blocked now, must become allowed",
    "newly blocked": "allowed now, must become blocked",
    "allowed": "allowed now, stays allowed",
    "blocked": "blocked now, stays blocked",
}
"""Legend of the lab introduction's picture (:meth:`Lab.change_heatmaps`)."""

RESULT_LABELS = {
    "newly allowed": "allowed, should be blocked",
    "newly blocked": "blocked, should be allowed",
    "allowed": "allowed, as wanted",
    "blocked": "blocked, as wanted",
}
"""Legend of a wrong answer's picture (:meth:`CheckResult.diff_heatmaps`)."""
_RESULT_PICTURE = {"labels": RESULT_LABELS, "title": "your result vs the goal"}


def answers_dir() -> Path:
    """The folder of answer files: ``$NETPOLKIT_ANSWERS`` when set, else ``labs/answers/`` beside ``manifests/``."""
    env = os.environ.get(ANSWERS_ENV_VAR)
    return Path(env).expanduser() if env else manifests_dir().parent / "labs" / "answers"


def _shown_path(path: Path) -> str:
    """A path as a participant reads (and a notebook links) it: relative to the current folder when it can be."""
    try:
        return Path(os.path.relpath(path)).as_posix()
    except ValueError:  # another drive (Windows)
        return path.as_posix()


@dataclass(frozen=True)
class AnswerFile:
    """A lab's answer file; in a notebook it shows as a link to open it. Pass it to :meth:`Lab.check`."""

    path: Path
    created: bool = False

    def __fspath__(self) -> str:
        return str(self.path)

    def __str__(self) -> str:
        return _shown_path(self.path)

    def _repr_markdown_(self) -> str:
        shown = _shown_path(self.path)
        news = "created it for you just now" if self.created else "it keeps what you saved last time"
        return (
            f"**Your answer file: [{shown}]({shown})** ({news}). Click to open it, write your policies, save "
            "(Ctrl+S), then run the check cell below. Git ignores this file, so `git pull` never touches it."
        )


def _differing(before: pd.DataFrame, after: pd.DataFrame):
    """(src, dst, before, after) of every cell that differs between two frames, self pairs left out."""
    wrong = (before.to_numpy() != after.to_numpy()) & ~np.eye(len(before), dtype=bool)
    for s, d in zip(*np.nonzero(wrong), strict=True):
        yield before.index[s], before.columns[d], bool(before.iat[s, d]), bool(after.iat[s, d])


def _change_states(before: pd.DataFrame, after: pd.DataFrame, diagonal: pd.DataFrame) -> pd.DataFrame:
    """Diff states from ``before`` to ``after``; self pairs never count and show ``diagonal``'s verdict."""
    old, new = before.to_numpy(), after.to_numpy()
    states = np.where(old == new, np.where(new, "allowed", "blocked"), np.where(new, "newly allowed", "newly blocked"))
    cells = np.diag_indices(len(new))
    states[cells] = np.where(diagonal.to_numpy()[cells], "allowed", "blocked")
    return pd.DataFrame(states, index=before.index, columns=before.columns)


def _has_change(states: pd.DataFrame) -> bool:
    return bool(states.isin(["newly allowed", "newly blocked"]).to_numpy().any())


def _change_summary(lab: Lab, to_change: pd.DataFrame) -> str:
    """The sentence under the introduction's picture: how many cells change on which ports, what stays."""
    if to_change.empty:
        return "**Nothing to change:** the cluster already matches the goal."
    ports = list(dict.fromkeys(to_change["port"]))
    untouched = [p for p in lab.ports if p not in ports]
    opened = int((to_change["goal"] == "allowed").sum())
    closed = len(to_change) - opened
    text = (
        f"**Cells you must change: {len(to_change)}** on {', '.join(ports)} ({opened} to open, blue +; "
        f"{closed} to close, vermillion -). Every other cell must stay as it is"
    )
    if untouched:
        text += f"; on {', '.join(untouched)} nothing changes"
    return text + ". Self pairs (hatched) never count."


@cache
def _load_lab(lab_id: str) -> Lab:
    folder = _labs_dir() / lab_id
    path = folder / "lab.yaml"
    if not path.is_file():
        raise FileNotFoundError(f"no lab {lab_id!r}; labs: {', '.join(labs())}")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    where = Where(str(path))
    if not isinstance(data, dict) or data.get("schema") != "netpolkit-lab/v1":
        raise PolicyError("expected schema: netpolkit-lab/v1", where=where)
    target = data.get("target") or {}
    modes = [m for m in ("allow", "block") if m in target]
    if len(modes) != 1:
        raise PolicyError("target needs exactly one of allow: or block:", where=where, path="target")
    ports = tuple(str(PortQuery.parse(p)) for p in data.get("ports") or ())
    cells = set()
    for i, cell in enumerate(target[modes[0]] or ()):
        try:
            cells.add((cell["from"], cell["to"], str(PortQuery.parse(cell["port"]))))
        except (KeyError, TypeError, ValueError) as exc:
            raise PolicyError(
                f"expected {{from, to, port}}: {exc}", where=where, path=f"target.{modes[0]}[{i}]"
            ) from None
    return Lab(
        id=lab_id,
        title=str(data.get("title", lab_id)),
        story=str(data.get("story", "")).strip(),
        goal=str(data.get("goal", "")).strip(),
        profile=str(data.get("profile", "upstream")),
        ports=ports,
        target_cells=frozenset(cells),
        target_mode=modes[0],
        externals=dict(data.get("externals") or {}),
        answer_namespace=str(data.get("answer_namespace", "default")),
        concepts=tuple(data.get("concepts") or ()),
        hints=dict(data.get("hints") or {}),
        folder=folder,
    )


@cache
def _scenario(lab_id: str) -> Cluster:
    lab = _load_lab(lab_id)
    docs = read_documents(lab.folder / "scenario.yaml")
    return Cluster.from_documents(docs, lab.externals, default_namespace=lab.answer_namespace)


@cache
def _starting_reach(lab_id: str, ports: tuple[str, ...], profile: str) -> Reachability:
    """The starting cluster's reachability (the introduction's picture and table, the "no effect" diagnosis)."""
    return reachability(_scenario(lab_id), ports=ports, profile=profile)


# ---- the check --------------------------------------------------------------------------------------------------


@dataclass
class CheckResult:
    """The verdict on one answer: ``status`` is "passed", "not done", "wrong" or "invalid"."""

    lab: Lab
    status: str
    message: str
    hint_id: str | None = None
    hint: str = ""
    differences: pd.DataFrame = field(default_factory=pd.DataFrame)
    reach: Reachability | None = None

    @property
    def passed(self) -> bool:
        """Whether the answer reaches the goal exactly."""
        return self.status == PASSED

    def __str__(self) -> str:
        lines = [self.message]
        if not self.differences.empty:
            shown = self.differences.head(8)
            lines += [
                f"  {r['from']} -> {r['to']} on {r['port']}: should be {verdict(r['expected'])}, is {verdict(r['got'])}"
                for _, r in shown.iterrows()
            ]
            if len(self.differences) > len(shown):
                lines.append(f"  ... and {len(self.differences) - len(shown)} more")
        if self.hint:
            lines.append(f"Hint: {self.hint}")
        return "\n".join(lines)

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(str(self))

    def raise_unless_passed(self) -> None:
        """Raise AssertionError with the whole report unless the answer passed (used by CI on solutions)."""
        if not self.passed:
            raise AssertionError(str(self))

    def _states(self, port: str) -> pd.DataFrame:
        if self.reach is None:
            raise ValueError(f"nothing to draw: the answer is {self.status}")
        result = self.reach.frame(port)
        return _change_states(self.lab.target_frame(port), result, result)  # self pairs shown as they are

    @property
    def differing_ports(self) -> list[str]:
        """The ports on which some cell differs from the goal, in the lab's order."""
        return list(dict.fromkeys(self.differences["port"])) if not self.differences.empty else []

    def diff_heatmap(self, port: str | None = None, ax=None):
        """Goal vs your result for one port: blue + = allowed but should be blocked, vermillion - = the reverse.

        On ``ax`` when given, else on a new figure sized for a notebook output (as :meth:`diff_heatmaps`).
        """
        from netpolkit import plot

        port = str(PortQuery.parse(port)) if port else (self.differing_ports or list(self.lab.ports))[0]
        states = self._states(port)
        if ax is None:
            return plot.diff_panels(
                {port: states}, self.reach.endpoints, profile=self.reach.profile.name, **_RESULT_PICTURE
            )[0]
        display = plot._RelabelledDiffDisplay(
            states, self.reach.endpoints, port=port, profile=self.reach.profile.name, labels=RESULT_LABELS
        )
        return display.plot(ax, title=_RESULT_PICTURE["title"])

    def diff_heatmaps(self) -> list:
        """Goal vs your result on EVERY port that differs, one panel each in one figure; returns the panels."""
        from netpolkit import plot

        if self.reach is None:
            raise ValueError(f"nothing to draw: the answer is {self.status}")
        ports = self.differing_ports or list(self.lab.ports)[:1]
        frames = {port: self._states(port) for port in ports}
        return plot.diff_panels(frames, self.reach.endpoints, profile=self.reach.profile.name, **_RESULT_PICTURE)

    def differences_table(self) -> pd.DataFrame:
        """The differing cells as people read them: from, to, port, should be, is (allowed/blocked), why.

        ``why`` holds both sides' reasons in full, the deciding side first, one per line.
        """
        table = self.differences.rename(columns={"expected": "should be", "got": "is"})
        for column in ("should be", "is"):
            table[column] = table[column].map(verdict)
        return table[["from", "to", "port", "should be", "is", "why"]]

    def show(self) -> None:
        """Display the report and, when wrong, a diff heatmap per differing port, then the cells (in a notebook)."""
        from IPython.display import Markdown, display

        from netpolkit import plot

        icon = {PASSED: "✅", NOT_DONE: "✏️", WRONG: "❌", INVALID: "⚠️"}[self.status]
        display(Markdown(f"{icon} **{self.message}**" + (f"\n\n**Hint.** {self.hint}" if self.hint else "")))
        if self.status == WRONG:
            panels = self.diff_heatmaps()
            display(panels[0].figure_)
            plot.plt.close(panels[0].figure_)
            display(styled(self.differences_table(), widths=DIFFERENCE_WIDTHS))


DIFFERENCE_WIDTHS = {"from": 0.14, "to": 0.14, "port": 0.08, "should be": 0.08, "is": 0.08, "why": 0.48}
"""Column shares of the differences table: the reasons get half of a 960 px output."""


def _meaningful(answer: str) -> bool:
    return any(line.strip() and not line.strip().startswith("#") for line in answer.splitlines())


def check(lab: Lab | str, answer: str | os.PathLike[str] | None) -> CheckResult:
    """Check a participant's answer against a lab's goal; never raises for a bad answer.

    ``answer``: policy YAML as text, or a file holding it (a Path or an :class:`AnswerFile`); None or a text
    without anything but comments is "not done".
    """
    lab = lab if isinstance(lab, Lab) else Lab.load(lab)
    source = "your answer"
    if isinstance(answer, os.PathLike):
        path = Path(answer)
        source = _shown_path(path)
        if not path.is_file():
            message = f"Not done yet: there is no answer file {source}."
            return CheckResult(lab, NOT_DONE, message, "not-done", _hint(lab, "not-done"))
        answer = path.read_text(encoding="utf-8")
    if not answer or not _meaningful(answer):
        where = "your answer" if source == "your answer" else f"your answer file {source}"
        message = f"Not done yet: {where} holds no policy yet."
        return CheckResult(lab, NOT_DONE, message, "not-done", _hint(lab, "not-done"))
    try:
        documents = read_text(answer, source)
        policies = _answer_policies(lab, documents)
        cluster = lab.scenario().apply(documents)
        reach = reachability(cluster, ports=lab.ports, profile=lab.profile)
    except ValueError as exc:  # a PolicyError names file, document (counted from 1), object and field
        return CheckResult(lab, INVALID, f"Your answer is not valid: {exc}", "invalid", _hint(lab, "invalid"))
    rows = [
        {"from": src, "to": dst, "port": port, "expected": want, "got": got}
        for port in lab.ports
        for src, dst, want, got in _differing(lab.target_frame(port), reach.frame(port))
    ]
    differences = pd.DataFrame(rows, columns=["from", "to", "port", "expected", "got", "why"])
    if differences.empty:
        return CheckResult(lab, PASSED, "Passed: your policies give exactly the goal's reachability.", reach=reach)
    differences["why"] = [reasons(reach.explain(r["from"], r["to"], r["port"])) for _, r in differences.iterrows()]
    hint_id, hint = _diagnose(lab, policies, reach, differences, documents)
    count = len(differences)
    ports = list(dict.fromkeys(differences["port"]))
    message = (
        f"Not yet: {plural(count, 'connection')} {'differs' if count == 1 else 'differ'} from the goal, "
        f"on {', '.join(ports)}."
    )
    return CheckResult(lab, WRONG, message, hint_id, hint, differences, reach)


def _answer_policies(lab: Lab, documents: Sequence[Document]) -> list[Any]:
    """The policies of the answer (anything else, such as relabelled pods, is refused: only policies count)."""
    out = []
    for doc in documents:
        obj = parse_object(doc.obj, doc.where, default_namespace=lab.answer_namespace)
        if obj is None or isinstance(obj, Workload | Service) or getattr(obj, "kind", "") in ("Namespace", "Tier"):
            kind = doc.obj.get("kind") if isinstance(doc.obj, dict) else "?"
            raise PolicyError(f"only policies count in an answer, not a {kind}", where=doc.where)
        out.append(obj)
    return out


# ---- hints ------------------------------------------------------------------------------------------------------


def _hint(lab: Lab, hint_id: str, **values: Any) -> str:
    text = HINTS[hint_id].format(**values) if values else HINTS[hint_id]
    extra = lab.hints.get(hint_id)
    return f"{extra} {text}" if extra else text


def _one_line(text: str) -> str:
    return "; ".join(line.strip() for line in text.splitlines() if line.strip())


def _cell(row: pd.Series) -> str:
    return f"{row['from']} -> {row['to']} on {row['port']}"


def _policy_ports(policies: Sequence[Any]) -> tuple[set[int], set[str]]:
    """The port numbers and the port names that the answer's rules mention."""
    specs: list[int | str | None] = []
    for p in policies:
        if isinstance(p, NetworkPolicy):
            specs += [s.port for rule in p.ingress + p.egress for s in rule.ports]
        elif isinstance(p, CalicoPolicy):
            specs += [x.name or x.low for rule in p.ingress + p.egress for x in rule.destination.ports]
        elif isinstance(p, AdminPolicy):
            specs += [x.name or (x.start if x.start == x.end else None) for r in p.ingress + p.egress for x in r.ports]
    return {s for s in specs if isinstance(s, int)}, {s for s in specs if isinstance(s, str)}


def _k8s_peers(policies: Sequence[Any]):
    for p in policies:
        if isinstance(p, NetworkPolicy):
            for rule in p.ingress + p.egress:
                yield rule.peers


def _diagnose(
    lab: Lab, policies: list[Any], reach: Reachability, diff: pd.DataFrame, documents: Sequence[Document] = ()
) -> tuple[str, str]:
    """The most likely mistake, in a fixed order of checks."""
    scenario = lab.scenario()
    missing = diff[diff["expected"] & ~diff["got"]]
    extra = diff[~diff["expected"] & diff["got"]]

    def no_effect():
        before = _starting_reach(lab.id, lab.ports, lab.profile)
        same = all((before.array(p) == reach.array(p)).all() for p in lab.ports)
        return ("no-effect", {}) if same else None

    def service_port():
        used = _policy_ports(policies)[0]
        destinations = set(missing["to"])
        for svc in (o for o in scenario.objects if isinstance(o, Service)):
            if not destinations & set(scenario.services.loc[f"{svc.namespace}/{svc.name}", "endpoints"]):
                continue  # this Service fronts none of the destinations that are wrongly blocked
            for sp in svc.ports:
                if sp.port in used and sp.target_port != sp.port:
                    try:
                        _, query = scenario.service_target(f"{svc.namespace}/{svc.name}", sp.port, sp.protocol)
                    except KeyError:
                        continue
                    if query.port not in used:
                        target = f"{query} (Service {svc.namespace}/{svc.name} forwards {sp.port} to it)"
                        return "service-port", {"port": sp.port, "target": target}
        return None

    def named_port():
        declared = {name for ports in scenario.table.named_ports for (name, _) in ports}
        unknown = sorted(_policy_ports(policies)[1] - declared)
        return ("named-port", {"name": unknown[0]}) if unknown else None

    def dns_tcp():
        for _, row in missing.iterrows():
            if row["port"] == "TCP/53" and reach.allowed(row["from"], row["to"], "UDP/53"):
                return "dns-tcp", {"cell": _cell(row)}
        return None

    def missing_dns():
        for _, row in missing.iterrows():
            if row["port"].endswith("/53"):
                return "missing-dns", {"cell": _cell(row)}
        return None

    def or_instead_of_and():
        split = any(
            any(p.namespace_selector is not None and p.pod_selector is None for p in peers)
            and any(p.pod_selector is not None and p.namespace_selector is None for p in peers)
            for peers in _k8s_peers(policies)
        )
        return ("or-instead-of-and", {"cell": _cell(extra.iloc[0])}) if split and not extra.empty else None

    def missing_namespace_selector():
        # A pod-only peer in your policy names the other end's labels, but that end lives in another namespace.
        labels = dict(zip(scenario.table.ids, scenario.table.labels, strict=True))
        for _, row in missing.iterrows():
            src, dst = row["from"], row["to"]
            if _namespace(src) == _namespace(dst) or src not in labels or dst not in labels:
                continue
            for p in policies:
                if not isinstance(p, NetworkPolicy):
                    continue
                for rules, own, other in ((p.ingress, dst, src), (p.egress, src, dst)):
                    if _namespace(own) != p.namespace or not p.pod_selector.matches(labels[own]):
                        continue
                    if any(
                        peer.pod_selector is not None
                        and peer.namespace_selector is None
                        and peer.pod_selector.matches(labels[other])
                        for rule in rules
                        for peer in rule.peers
                    ):
                        return "missing-namespace-selector", {"cell": _cell(row)}
        return None

    def calico_order():
        if not reach.profile.ordered:
            return None
        yours = {p.ref for p in policies}
        for _, row in missing.iterrows():
            side = _blocking_side(reach.explain(row["from"], row["to"], row["port"]))
            if side is None or side.reason != DENIED_BY_RULE or side.policy in yours:
                continue
            if yours & set(reach.policies_for(side.endpoint, side.direction)):  # yours applies, but runs too late
                return "calico-order", {"cell": _cell(row), "policy": side.policy}
        return None

    # ClusterNetworkPolicy / AdminNetworkPolicy: what-ifs on the answer's own YAML (see _AdminWhatIf).
    what_if = _AdminWhatIf(lab, documents)

    def pass_instead_of_deny():
        for doc, direction, i in what_if.rules(tier=ADMIN, actions=("Pass",)):
            fixed = what_if.fixes(extra, lambda objs, d=doc, r=direction, n=i: _set(objs[d], r, n, "action", "Deny"))
            if fixed is not None:
                return "pass-instead-of-deny", {"cell": _cell(fixed), "rule": what_if.rule_name(doc, direction, i)}
        return None

    def accept_skips_owners():
        for doc, direction, i in what_if.rules(tier=ADMIN, actions=("Accept", "Allow")):
            fixed = what_if.fixes(extra, lambda objs, d=doc, r=direction, n=i: _set(objs[d], r, n, "action", "Pass"))
            if fixed is not None:
                return "accept-skips-owners", {"cell": _cell(fixed), "rule": what_if.rule_name(doc, direction, i)}
        return None

    def baseline_instead_of_admin():
        for doc in what_if.policies(tier=BASELINE):
            fixed = what_if.fixes(extra, lambda objs, d=doc: _to_admin_tier(objs[d]))
            if fixed is not None:
                return "baseline-instead-of-admin", {"cell": _cell(fixed), "policy": what_if.ref(doc)}
        return None

    def admin_priority():
        yours = {p.ref for p in policies}
        mine = what_if.policies(tier=ADMIN)
        if not mine:
            return None
        for at, row in diff.iterrows():
            explanation = reach.explain(row["from"], row["to"], row["port"])
            sides = [s for s in (explanation.egress, explanation.ingress) if s.allowed == row["got"]]
            winner = next((s for s in sides if s.tier == "admin" and s.policy and s.policy not in yours), None)
            if winner is None or winner.reason not in (ALLOWED_BY_RULE, DENIED_BY_RULE):
                continue
            if what_if.fixes(diff.loc[[at]], lambda objs: [_set_priority(objs[d], 0) for d in mine]) is not None:
                doc = mine[0]
                return "admin-priority", {
                    "cell": _cell(row),
                    "winner": winner.policy,
                    "position": winner.position,
                    "policy": what_if.ref(doc),
                    "yours": f"priority {what_if.objs[doc]['spec'].get('priority')}",
                }
        return None

    def wrong_subject():
        admin = [p for p in policies if isinstance(p, AdminPolicy)]
        if not admin:
            return None
        table = scenario.table
        index = table.index

        def picks(selection: Selection, e: int) -> bool:
            if not table.is_pod[e] or table.host_network[e]:
                return False
            return selection.matches(table.namespace_labels[table.namespace_index[e]], table.labels[e])

        def matches(peer: AdminPeer, e: int) -> bool:
            return picks(peer.selection, e) if peer.selection is not None else peer.contains(table.ips[e])

        for _, row in extra.iterrows():  # a Deny names the other end, but the subject misses the protected one
            src, dst = index[row["from"]], index[row["to"]]
            for direction, own, other in (("Ingress", dst, src), ("Egress", src, dst)):
                if any(picks(p.subject, own) for p in admin):
                    continue
                for p in admin:
                    if any(r.action == "Deny" and any(matches(x, other) for x in r.peers) for r in p.rules(direction)):
                        what = f"does not pick {table.ids[own]}, which your Deny rule is meant to protect"
                        return "wrong-subject", {"cell": _cell(row), "got": "allowed", "policy": p.ref, "what": what}
        for _, row in missing.iterrows():  # a Deny protects a pod that the goal leaves open to everyone, everywhere
            side = _blocking_side(reach.explain(row["from"], row["to"], row["port"]))
            policy = next((p for p in admin if side is not None and p.ref == side.policy), None)
            if policy is None or side.reason != DENIED_BY_RULE:
                continue
            own = index[side.endpoint]
            goals = [lab.target_frame(port).to_numpy() for port in lab.ports]
            open_to_all = all(
                bool(goal[e, own] if side.direction == "ingress" else goal[own, e])
                for goal in goals
                for e in range(len(table))
                if e != own
            )
            if open_to_all:
                what = f"picks {side.endpoint}, which the goal leaves open to every endpoint on every port"
                return "wrong-subject", {"cell": _cell(row), "got": "blocked", "policy": policy.ref, "what": what}
        return None

    def other_side():
        yours = {p.ref for p in policies}
        for _, row in missing.iterrows():
            explanation = reach.explain(row["from"], row["to"], row["port"])
            side = _blocking_side(explanation)
            opened = [
                s
                for s in (explanation.egress, explanation.ingress)
                if s.reason == ALLOWED_BY_RULE and s.policy in yours
            ]
            if side is not None and opened:
                return "other-side", {"cell": _cell(row), "side": str(side)}
        return None

    def too_open():
        if extra.empty:
            return None
        return "too-open", {"cell": _cell(extra.iloc[0]), "why": _one_line(extra.iloc[0]["why"])}

    def too_closed():
        row = missing.iloc[0]
        return "too-closed", {"cell": _cell(row), "why": _one_line(row["why"])}

    # Specific diagnoses first; "no effect" only before the generic too-open / too-closed.
    detectors: list[Callable[[], tuple[str, dict] | None]] = [
        service_port,
        named_port,
        dns_tcp,
        missing_dns,
        or_instead_of_and,
        missing_namespace_selector,
        calico_order,
        pass_instead_of_deny,
        accept_skips_owners,
        baseline_instead_of_admin,
        admin_priority,
        wrong_subject,
        other_side,
        no_effect,
        too_open,
        too_closed,
    ]
    for detector in detectors:
        found = detector()
        if found is not None:
            hint_id, values = found
            return hint_id, _hint(lab, hint_id, **values)
    raise AssertionError("unreachable: some cell differs")


_ADMIN_KINDS = {"ClusterNetworkPolicy": None, "AdminNetworkPolicy": ADMIN, "BaselineAdminNetworkPolicy": BASELINE}


class _AdminWhatIf:
    """The answer's network-policy-api objects as plain YAML, and "would this edit fix a cell?" checks on them."""

    def __init__(self, lab: Lab, documents: Sequence[Document]) -> None:
        self.lab = lab
        self.objs = [copy.deepcopy(d.obj) if isinstance(d.obj, dict) else {} for d in documents]

    def _tier(self, obj: dict) -> str | None:
        if not str(obj.get("apiVersion", "")).startswith("policy.networking.k8s.io/"):
            return None
        kind = obj.get("kind")
        if kind not in _ADMIN_KINDS:
            return None
        return _ADMIN_KINDS[kind] or (obj.get("spec") or {}).get("tier")

    def policies(self, *, tier: str) -> list[int]:
        """Indexes of the answer's documents that are network-policy-api policies of ``tier``."""
        return [i for i, obj in enumerate(self.objs) if self._tier(obj) == tier]

    def rules(self, *, tier: str, actions: tuple[str, ...]):
        """(document index, "ingress"/"egress", rule index) of every rule with one of ``actions``."""
        for doc in self.policies(tier=tier):
            spec = self.objs[doc].get("spec") or {}
            for direction in ("ingress", "egress"):
                for i, rule in enumerate(spec.get(direction) or ()):
                    if isinstance(rule, dict) and rule.get("action") in actions:
                        yield doc, direction, i

    def ref(self, doc: int) -> str:
        obj = self.objs[doc]
        return f"{obj.get('kind')} {(obj.get('metadata') or {}).get('name')}"

    def rule_name(self, doc: int, direction: str, i: int) -> str:
        name = self.objs[doc]["spec"][direction][i].get("name")
        return f"{direction} rule {i + 1}" + (f' "{name}"' if name else "") + f" of {self.ref(doc)}"

    def fixes(self, cells: pd.DataFrame, edit: Callable[[list[dict]], Any]) -> pd.Series | None:
        """The first of ``cells`` that the answer gets right once ``edit`` has changed a copy of it, or None."""
        if cells.empty:
            return None
        objs = copy.deepcopy(self.objs)
        edit(objs)
        try:
            cluster = self.lab.scenario().apply(objs, source="your answer (what-if)")
            result = reachability(cluster, ports=sorted(set(cells["port"])), profile=self.lab.profile)
        except (PolicyError, ValueError):
            return None
        for _, row in cells.iterrows():
            if result.allowed(row["from"], row["to"], row["port"]) == row["expected"]:
                return row
        return None


def _set(obj: dict, direction: str, i: int, key: str, value: Any) -> None:
    obj["spec"][direction][i][key] = value


def _set_priority(obj: dict, priority: int) -> None:
    obj["spec"]["priority"] = priority


def _to_admin_tier(obj: dict) -> None:
    """The same policy in the Admin tier (a BaselineAdminNetworkPolicy becomes an AdminNetworkPolicy)."""
    if obj.get("kind") == "BaselineAdminNetworkPolicy":
        obj["kind"] = "AdminNetworkPolicy"
        obj["spec"]["priority"] = 0
    else:
        obj["spec"]["tier"] = ADMIN


def _namespace(endpoint: str) -> str:
    return endpoint.split("/", 1)[0]


def _blocking_side(explanation: Explanation):
    for side in (explanation.egress, explanation.ingress):
        if not side.allowed:
            return side
    return None
