"""An ipywidgets explorer: pick a step or toggle policies, pick a port, highlight a pod, read why.

:class:`ExplorerState` holds everything the explorer shows and computes it (plain Python, testable without a
browser); :class:`Explorer` is a thin ipywidgets view on top. ``ipywidgets`` is imported only when a view is built,
so this module imports without the ``widgets`` extra.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from netpolkit.cluster import Cluster
from netpolkit.engine import Explanation
from netpolkit.matrix import Reachability, reachability
from netpolkit.model import object_key

__all__ = ["Explorer", "ExplorerState", "explore"]


class ExplorerState:
    """What the explorer shows: a step (a cluster), the enabled policies, a port, a highlighted endpoint, a pair.

    ``steps`` are (name, Cluster) pairs in order, e.g. the steps of a tutorial. Every change calls the observers,
    and reachability results are cached per (step, disabled policies), so moving back and forth is instant.
    """

    def __init__(self, steps: Sequence[tuple[str, Cluster]], ports: Sequence[str], profile: str = "upstream") -> None:
        if not steps:
            raise ValueError("the explorer needs at least one step")
        if not ports:
            raise ValueError("the explorer needs at least one port")
        self.steps = dict(steps)
        self.ports = tuple(ports)
        self.profile = profile
        self.step = next(iter(self.steps))
        self.port = self.ports[0]
        self.disabled: frozenset[str] = frozenset()
        self.highlighted: str | None = None
        self.pair: tuple[str, str] | None = None
        self._cache: dict[tuple[str, frozenset[str]], Reachability] = {}
        self._observers: list[Callable[[ExplorerState], None]] = []

    @classmethod
    def from_tutorial(cls, tutorial: Any, ports: Sequence[str] | None = None, profile: str | None = None):
        """One step per tutorial step (a ``netpolkit.course.Tutorial``); ports default to the expectations' ports."""
        steps = [(s.id, tutorial.cluster_at(s.id)) for s in tutorial.steps]
        if ports is None:
            ports = sorted({f"{e.protocol}/{e.port}" for s in tutorial.steps for e in s.expect})
        return cls(steps, ports, profile or tutorial.profile)

    @classmethod
    def from_cluster(cls, cluster: Cluster, ports: Sequence[str] | None = None, profile: str = "upstream"):
        """One step, whose policies can be toggled; ports default to the ports the pods declare."""
        ports = ports or [str(q) for q in cluster.declared_ports()]
        return cls([("cluster", cluster)], ports, profile)

    # ---- changes -------------------------------------------------------------------------------------------

    def observe(self, callback: Callable[[ExplorerState], None]) -> None:
        """Call ``callback(state)`` after every change."""
        self._observers.append(callback)

    def _changed(self) -> None:
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

    def toggle_policy(self, ref: str, enabled: bool) -> None:
        """Switch one policy (by its ref, e.g. "NetworkPolicy shop/deny-all") on or off in the current step."""
        if ref not in self.policy_refs:
            raise KeyError(f"no policy {ref!r} in step {self.step!r}")
        self.disabled = self.disabled - {ref} if enabled else self.disabled | {ref}
        self._changed()

    def highlight(self, endpoint: str | None) -> None:
        """Outline one endpoint's row and column (None: no highlight)."""
        self.highlighted = self.reach.endpoint_id(endpoint) if endpoint else None
        self._changed()

    def select_pair(self, src: str | None, dst: str | None) -> None:
        """The pair the explain panel talks about (None: no pair)."""
        self.pair = (self.reach.endpoint_id(src), self.reach.endpoint_id(dst)) if src and dst else None
        self._changed()

    # ---- derived values ------------------------------------------------------------------------------------

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

    @property
    def reach(self) -> Reachability:
        """The result for the current step and toggles (cached)."""
        key = (self.step, self.disabled)
        if key not in self._cache:
            self._cache[key] = reachability(self.cluster, ports=self.ports, profile=self.profile)
        return self._cache[key]

    @property
    def previous_reach(self) -> Reachability | None:
        """The result of the step before (with every policy on), or None on the first step."""
        names = list(self.steps)
        index = names.index(self.step)
        if index == 0:
            return None
        key = (names[index - 1], frozenset())
        if key not in self._cache:
            self._cache[key] = reachability(self.steps[names[index - 1]], ports=self.ports, profile=self.profile)
        return self._cache[key]

    @property
    def explanation(self) -> Explanation | None:
        """Why the selected pair is allowed or blocked on the current port."""
        return self.reach.explain(*self.pair, self.port) if self.pair else None

    @property
    def explanation_text(self) -> str:
        """The explain panel's text."""
        if self.explanation is None:
            return "Pick a source and a destination to see which rule decides."
        return str(self.explanation)

    @property
    def reachable_from_highlight(self) -> list[str]:
        """Destinations the highlighted endpoint may reach on the current port (itself left out)."""
        if self.highlighted is None:
            return []
        row = self.reach.frame(self.port).loc[self.highlighted]
        return [dst for dst, allowed in row.items() if allowed and dst != self.highlighted]

    @property
    def summary(self) -> str:
        """One line: allowed pairs on the current port, self pairs left out."""
        row = self.reach.summary().loc[self.port]
        off = f"; {len(self.disabled)} policies switched off" if self.disabled else ""
        return f"{self.step}: {int(row['allowed'])} of {int(row['pairs'])} pairs allowed on {self.port}{off}"


class Explorer:
    """The ipywidgets view of an :class:`ExplorerState`; ``display(explorer)`` or ``explorer.widget``.

    ``figure_`` keeps the last heatmap drawn.
    """

    def __init__(self, state: ExplorerState, *, show_changes: bool = True) -> None:
        widgets = _ipywidgets()
        self.state = state
        endpoints = ["", *state.reach.endpoints.index]
        self.step = widgets.Dropdown(options=list(state.steps), value=state.step, description="step")
        self.port = widgets.Dropdown(options=list(state.ports), value=state.port, description="port")
        self.policies = widgets.SelectMultiple(
            options=state.policy_refs, value=tuple(state.policy_refs), description="policies on", rows=5
        )
        self.source = widgets.Dropdown(options=endpoints, value="", description="source")
        self.destination = widgets.Dropdown(options=endpoints, value="", description="destination")
        self.changes = widgets.Checkbox(value=show_changes, description="show changes since the step before")
        self.summary = widgets.Label(value=state.summary)
        self.explain = widgets.HTML()
        self.picture = widgets.Output()
        self.step.observe(lambda change: state.select_step(change["new"]), names="value")
        self.port.observe(lambda change: state.select_port(change["new"]), names="value")
        self.policies.observe(self._toggled, names="value")
        self.source.observe(self._pair, names="value")
        self.destination.observe(self._pair, names="value")
        self.changes.observe(lambda change: self.redraw(state), names="value")
        state.observe(self.redraw)
        controls = widgets.VBox(
            [
                widgets.HBox([self.step, self.port]),
                self.policies,
                widgets.HBox([self.source, self.destination]),
                self.changes,
            ]
        )
        self.widget = widgets.VBox([controls, self.summary, self.picture, self.explain])
        self.redraw(state)

    def _toggled(self, change: dict) -> None:
        enabled = set(change["new"])
        for ref in self.state.policy_refs:
            if (ref in enabled) == (ref in self.state.disabled):
                self.state.toggle_policy(ref, ref in enabled)

    def _pair(self, change: dict) -> None:
        src, dst = self.source.value or None, self.destination.value or None
        self.state.highlighted = src or dst
        self.state.select_pair(src, dst)

    def redraw(self, state: ExplorerState) -> None:
        """Bring every widget in line with the state and redraw the heatmap."""
        import matplotlib.pyplot as plt
        from IPython.display import display

        from netpolkit import plot

        if tuple(self.policies.options) != tuple(state.policy_refs):
            self.policies.options = state.policy_refs
            self.policies.value = tuple(r for r in state.policy_refs if r not in state.disabled)
        self.summary.value = state.summary
        self.explain.value = f"<pre>{state.explanation_text}</pre>"
        self.picture.clear_output(wait=True)
        with self.picture:
            previous = state.previous_reach if self.changes.value else None
            if previous is not None:
                figure = plot.step_figure(previous, state.reach, state.port, highlight=state.highlighted)
            else:
                figure = plot.heatmap(state.reach, state.port, highlight=state.highlighted).figure_
            display(figure)
        self.figure_ = figure  # the last heatmap drawn (kept for tests and for saving)
        plt.close(figure)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


def explore(source: Any, ports: Sequence[str] | None = None, profile: str | None = None) -> Explorer:
    """An explorer for a tutorial (its steps), a Cluster (its policies can be toggled) or an ExplorerState."""
    if isinstance(source, ExplorerState):
        return Explorer(source)
    if isinstance(source, Cluster):
        return Explorer(ExplorerState.from_cluster(source, ports, profile or "upstream"))
    return Explorer(ExplorerState.from_tutorial(source, ports, profile))


def _ipywidgets() -> Any:
    try:
        import ipywidgets
    except ImportError as exc:
        raise ImportError("the explorer needs ipywidgets: pip install 'netpolkit[widgets]'") from exc
    return ipywidgets
