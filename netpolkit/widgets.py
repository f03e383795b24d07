"""An ipywidgets explorer: pick a step or toggle policies, pick a port and a profile, highlight a pod, read why.

:class:`ExplorerState` holds everything the explorer shows and computes it (plain Python, testable without a
browser); :class:`Explorer` is a thin ipywidgets view on top. ``ipywidgets`` is imported only when a view is built,
so this module imports without the ``widgets`` extra.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Callable, Sequence
from typing import Any

from netpolkit.cluster import Cluster
from netpolkit.engine import PROFILES, Explanation, unenforced
from netpolkit.matrix import Reachability, reachability
from netpolkit.model import object_key

__all__ = ["ROLES", "Explorer", "ExplorerState", "explore"]

ROLES = ("source", "destination")


class ExplorerState:
    """What the explorer shows: a step (a cluster), the enabled policies, a port, a profile, a highlighted
    endpoint (as a source or a destination) and a pair to explain.

    ``steps`` are (name, Cluster) pairs in order, e.g. the steps of a tutorial; ``ports`` default to every port a
    pod of some step declares; ``profile`` defaults to "calico" when a step holds Calico policies, else "upstream".
    Every change calls the observers, and results are cached per (step, disabled policies, profile), so moving back
    and forth is instant.
    """

    def __init__(
        self, steps: Sequence[tuple[str, Cluster]], ports: Sequence[str] | None = None, profile: str | None = None
    ) -> None:
        if not steps:
            raise ValueError("the explorer needs at least one step")
        self.steps = dict(steps)
        if ports is None:
            found = {q for cluster in self.steps.values() for q in cluster.declared_ports()}
            ports = [str(q) for q in sorted(found, key=lambda q: (q.port, q.protocol))]
        if not ports:
            raise ValueError("the explorer needs at least one port: no pod declares one, pass ports=")
        self.ports = tuple(ports)
        self.profile = profile or self.profiles[0]
        if self.profile not in self.profiles:
            raise ValueError(f"profile {self.profile!r} cannot evaluate these steps; use one of: {self.profiles}")
        self.step = next(iter(self.steps))
        self.port = self.ports[0]
        self.disabled: frozenset[str] = frozenset()
        self.highlighted: str | None = None
        self.highlight_role = "source"
        self.pair: tuple[str, str] | None = None
        self._cache: dict[tuple[str, frozenset[str], str], Reachability] = {}
        self._observers: list[Callable[[ExplorerState], None]] = []

    @classmethod
    def from_tutorial(cls, tutorial: Any, ports: Sequence[str] | None = None, profile: str | None = None):
        """One step per tutorial step (a ``netpolkit.course.Tutorial``); ports default to the expectations' ports,
        the profile to the tutorial's."""
        steps = [(s.id, tutorial.cluster_at(s.id)) for s in tutorial.steps]
        if ports is None:
            ports = sorted({f"{e.protocol}/{e.port}" for s in tutorial.steps for e in s.expect}) or None
        return cls(steps, ports, profile or tutorial.profile)

    @classmethod
    def from_cluster(cls, cluster: Cluster, ports: Sequence[str] | None = None, profile: str | None = None):
        """One step, whose policies can be toggled; ports default to the ports the pods declare."""
        return cls([("cluster", cluster)], ports, profile)

    # ---- changes -------------------------------------------------------------------------------------------

    def observe(self, callback: Callable[[ExplorerState], None]) -> None:
        """Call ``callback(state)`` after every change."""
        self._observers.append(callback)

    def _changed(self) -> None:
        known = self.steps[self.step].table.index  # a step may lack an endpoint the previous one had
        if self.highlighted not in known:
            self.highlighted = None
        if self.pair and not all(e in known for e in self.pair):
            self.pair = None
        for callback in self._observers:
            callback(self)

    def select_step(self, name: str) -> None:
        """Show the cluster after step ``name`` (toggles are reset: each step has its own policies)."""
        if name not in self.steps:
            raise KeyError(f"no step {name!r}; steps: {', '.join(self.steps)}")
        self.step, self.disabled = name, frozenset()
        self._changed()

    def select_port(self, port: str) -> None:
        """Show one of the explorer's ports."""
        if port not in self.ports:
            raise KeyError(f"no port {port!r}; ports: {', '.join(self.ports)}")
        self.port = port
        self._changed()

    def select_profile(self, profile: str) -> None:
        """Evaluate with another profile (one of :attr:`profiles`)."""
        if profile not in self.profiles:
            raise KeyError(f"no profile {profile!r} for these steps; profiles: {', '.join(self.profiles)}")
        self.profile = profile
        self._changed()

    def toggle_policy(self, ref: str, enabled: bool) -> None:
        """Switch one policy (by its ref, e.g. "NetworkPolicy shop/deny-all") on or off in the current step."""
        if ref not in self.policy_refs:
            raise KeyError(f"no policy {ref!r} in step {self.step!r}")
        self.disabled = self.disabled - {ref} if enabled else self.disabled | {ref}
        self._changed()

    def highlight(self, endpoint: str | None, role: str = "source") -> None:
        """Outline one endpoint's row and column; ``role`` says what :attr:`reachable_from_highlight` lists
        ("source": whom it reaches, "destination": who reaches it). None: no highlight."""
        if role not in ROLES:
            raise ValueError(f"role must be 'source' or 'destination', got {role!r}")
        self.highlighted = self.reach.endpoint_id(endpoint) if endpoint else None
        self.highlight_role = role
        self._changed()

    def select_pair(self, src: str | None, dst: str | None) -> None:
        """The pair the explain panel talks about (None: no pair)."""
        self.pair = (self.reach.endpoint_id(src), self.reach.endpoint_id(dst)) if src and dst else None
        self._changed()

    # ---- derived values ------------------------------------------------------------------------------------

    @property
    def profiles(self) -> tuple[str, ...]:
        """The profiles whose plugin enforces every policy of every step (Calico policies need Calico, ...)."""
        return tuple(
            name
            for name, p in PROFILES.items()
            if not any(unenforced(c.policy_objects, p) for c in self.steps.values())
        )

    @property
    def policy_refs(self) -> list[str]:
        """The policies of the current step."""
        return [p.ref for p in self.steps[self.step].policy_objects]

    @property
    def cluster(self) -> Cluster:
        """The current step's cluster without the disabled policies."""
        cluster = self.steps[self.step]
        for policy in cluster.policy_objects:
            if policy.ref in self.disabled:
                kind, namespace, name = object_key(policy)
                cluster = cluster.delete(kind.rpartition("/")[2], namespace, name, api_version=policy.api_version)
        return cluster

    def _reach(self, step: str, disabled: frozenset[str]) -> Reachability:
        key = (step, disabled, self.profile)
        if key not in self._cache:
            cluster = self.cluster if (step, disabled) == (self.step, self.disabled) else self.steps[step]
            self._cache[key] = reachability(cluster, ports=self.ports, profile=self.profile)
        return self._cache[key]

    @property
    def reach(self) -> Reachability:
        """The result for the current step, toggles and profile (cached)."""
        return self._reach(self.step, self.disabled)

    @property
    def previous_reach(self) -> Reachability | None:
        """The result of the step before (with every policy on), or None on the first step."""
        names = list(self.steps)
        index = names.index(self.step)
        return self._reach(names[index - 1], frozenset()) if index else None

    @property
    def explanation(self) -> Explanation | None:
        """Why the selected pair is allowed or blocked on the current port (None: no pair)."""
        return self.reach.explain(*self.pair, self.port) if self.pair else None

    @property
    def explanation_text(self) -> str:
        """The explain panel's text: the explanation, else what the highlighted endpoint reaches, else a hint."""
        if self.explanation is not None:
            return str(self.explanation)
        if self.highlighted is not None:
            others = ", ".join(self.reachable_from_highlight) or "nobody"
            verb = "reaches" if self.highlight_role == "source" else "is reached by"
            return f"on {self.port}, {self.highlighted} {verb}: {others}\n(pick both ends to see which rule decides)"
        return "Pick a source and a destination to see which rule decides."

    @property
    def reachable_from_highlight(self) -> list[str]:
        """Destinations the highlighted source reaches, or sources that reach the highlighted destination, on the
        current port (the endpoint itself left out)."""
        if self.highlighted is None:
            return []
        frame = self.reach.frame(self.port)
        line = frame.loc[self.highlighted] if self.highlight_role == "source" else frame[self.highlighted]
        return [e for e, allowed in line.items() if allowed and e != self.highlighted]

    @property
    def summary(self) -> str:
        """One line: allowed pairs on the current port, self pairs left out."""
        row = self.reach.summary().loc[self.port]
        off = f"; {len(self.disabled)} policies switched off" if self.disabled else ""
        return (
            f"{self.step}: {int(row['allowed'])} of {int(row['pairs'])} pairs allowed on {self.port} "
            f"({self.profile}){off}"
        )


class Explorer:
    """The ipywidgets view of an :class:`ExplorerState`; ``display(explorer)`` or ``explorer.widget``.

    The heatmap goes to the ``picture`` Output as a PNG; with "show changes" on (and a step before) it is the
    step figure (heatmap and diff side by side). ``figure_`` keeps the last figure drawn.
    """

    def __init__(self, state: ExplorerState, *, show_changes: bool = True) -> None:
        widgets = _ipywidgets()
        self.state = state
        self._syncing = False
        endpoints = ["", *state.reach.endpoints.index]
        self.step = widgets.Dropdown(options=list(state.steps), value=state.step, description="step")
        self.port = widgets.Dropdown(options=list(state.ports), value=state.port, description="port")
        self.profile = widgets.Dropdown(options=list(state.profiles), value=state.profile, description="profile")
        self.policies = widgets.SelectMultiple(description="policies on", rows=5)
        self.source = widgets.Dropdown(options=endpoints, value="", description="source")
        self.destination = widgets.Dropdown(options=endpoints, value="", description="destination")
        self.changes = widgets.Checkbox(value=show_changes, description="show changes since the step before")
        self.summary = widgets.Label(value=state.summary)
        self.explain = widgets.HTML()
        self.picture = widgets.Output()
        self._on(self.step, lambda value: state.select_step(value))
        self._on(self.port, lambda value: state.select_port(value))
        self._on(self.profile, lambda value: state.select_profile(value))
        self._on(self.policies, self._toggled)
        self._on(self.source, lambda value: self._pair())
        self._on(self.destination, lambda value: self._pair())
        self._on(self.changes, lambda value: self.redraw(state))
        state.observe(self.redraw)
        controls = widgets.VBox(
            [
                widgets.HBox([self.step, self.port, self.profile]),
                self.policies,
                widgets.HBox([self.source, self.destination]),
                self.changes,
            ]
        )
        self.widget = widgets.VBox([controls, self.summary, self.picture, self.explain])
        self.redraw(state)

    def _on(self, widget: Any, handler: Callable[[Any], None]) -> None:
        """Call ``handler(new value)`` when the user changes ``widget`` (not while the view syncs itself)."""
        widget.observe(lambda change: None if self._syncing else handler(change["new"]), names="value")

    def _toggled(self, enabled: tuple[str, ...]) -> None:
        for ref in self.state.policy_refs:
            if (ref in enabled) == (ref in self.state.disabled):
                self.state.toggle_policy(ref, ref in enabled)

    def _pair(self) -> None:
        src, dst = self.source.value or None, self.destination.value or None
        self.state.highlighted, self.state.highlight_role = (src, "source") if src else (dst, "destination")
        self.state.select_pair(src, dst)

    def redraw(self, state: ExplorerState) -> None:
        """Bring every widget in line with the state and redraw the heatmap."""
        import matplotlib.pyplot as plt

        from netpolkit import plot

        self._syncing = True
        try:
            if tuple(self.policies.options) != tuple(state.policy_refs):
                self.policies.options = state.policy_refs
            self.policies.value = tuple(r for r in state.policy_refs if r not in state.disabled)
            endpoints = ("", *state.reach.endpoints.index)
            if tuple(self.source.options) != endpoints:
                self.source.options = self.destination.options = endpoints
            self.source.value, self.destination.value = state.pair or (self.source.value, self.destination.value)
            self.step.value, self.port.value, self.profile.value = state.step, state.port, state.profile
        finally:
            self._syncing = False
        self.summary.value = state.summary
        self.explain.value = f"<pre>{html.escape(state.explanation_text)}</pre>"
        previous = state.previous_reach if self.changes.value else None
        if previous is not None:
            figure = plot.step_figure(previous, state.reach, state.port, highlight=state.highlighted)
        else:
            figure = plot.heatmap(state.reach, state.port, highlight=state.highlighted).figure_
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", bbox_inches="tight")
        png = base64.b64encode(buffer.getvalue()).decode("ascii")
        text = f"<heatmap {state.step} {state.port}>"
        self.picture.outputs = (
            {"output_type": "display_data", "data": {"image/png": png, "text/plain": text}, "metadata": {}},
        )
        self.figure_ = figure  # the last heatmap drawn (kept for tests and for saving)
        plt.close(figure)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict | None:
        return self.widget._repr_mimebundle_(**kwargs)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


def explore(source: Any, ports: Sequence[str] | None = None, profile: str | None = None) -> Explorer:
    """An explorer for a tutorial (its steps), a Cluster (its policies can be toggled), a list of (name, Cluster)
    steps or an ExplorerState."""
    if isinstance(source, ExplorerState):
        return Explorer(source)
    if isinstance(source, Cluster):
        return Explorer(ExplorerState.from_cluster(source, ports, profile))
    if isinstance(source, Sequence):
        return Explorer(ExplorerState(source, ports, profile))
    return Explorer(ExplorerState.from_tutorial(source, ports, profile))


def _ipywidgets() -> Any:
    try:
        import ipywidgets
    except ImportError as exc:
        raise ImportError("the explorer needs ipywidgets: pip install 'netpolkit[widgets]'") from exc
    return ipywidgets
