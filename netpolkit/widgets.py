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
from netpolkit.readable import plural

__all__ = ["CSS_CLASSES", "NO_POLICY", "ROLES", "Explorer", "ExplorerState", "explore"]

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
            # One port now; the others are evaluated when asked for (select_port), reusing the cluster's cache.
            self._cache[key] = reachability(cluster, ports=[self.port], profile=self.profile)
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
        if self.highlight_role == "source":
            return self.reach.reachable_from(self.highlighted, self.port)
        return self.reach.reaching(self.highlighted, self.port)

    @property
    def summary(self) -> str:
        """One line: allowed pairs on the current port, self pairs left out."""
        agg = self.reach.aggregate(by="kind", port=self.port)
        row = {"allowed": agg["allowed"].sum(), "pairs": agg["pairs"].sum()}
        off = f"; {plural(len(self.disabled), 'policy', 'policies')} switched off" if self.disabled else ""
        return (
            f"{self.step}: {int(row['allowed'])} of {int(row['pairs'])} pairs allowed on {self.port} "
            f"({self.profile}){off}"
        )


CSS_CLASSES = {
    "explorer": "netpolkit-explorer",
    "step": "netpolkit-explorer-step",
    "port": "netpolkit-explorer-port",
    "profile": "netpolkit-explorer-profile",
    "policies": "netpolkit-explorer-policies",
    "policy": "netpolkit-explorer-policy",
    "no_policy": "netpolkit-explorer-no-policy",
    "source": "netpolkit-explorer-source",
    "destination": "netpolkit-explorer-destination",
    "changes": "netpolkit-explorer-changes",
    "summary": "netpolkit-explorer-summary",
    "explain": "netpolkit-explorer-explain",
    "picture": "netpolkit-explorer-picture",
    "static": "netpolkit-explorer-static",
}
"""The CSS class of each explorer control (browser tests find them by these; see :class:`Explorer`)."""

NO_POLICY = "No policy in this step: every connection is allowed (Kubernetes is not deny-by-default)."
"""What the policy list says for a step without policies."""

_NONE = "(none)"
# a rendered explorer hides the static picture next to it (a static page has no widget, so it keeps the picture)
_HIDE_STATIC = (
    f"<style>.jp-OutputArea:has(.{CSS_CLASSES['explorer']}) .{CSS_CLASSES['static']},"
    f" .output:has(.{CSS_CLASSES['explorer']}) .{CSS_CLASSES['static']} {{display: none}}</style>"
)


class Explorer:
    """The ipywidgets view of an :class:`ExplorerState`; ``display(explorer)`` or ``explorer.widget``.

    Controls (attribute, ``description``, CSS class): ``step`` ("step", ``netpolkit-explorer-step``), ``port``
    ("port", ``netpolkit-explorer-port``), ``profile`` ("profile", ``netpolkit-explorer-profile``), ``policies``
    (a box of one Checkbox per policy of the step, each described by the policy's full ref, e.g. "NetworkPolicy
    shop/deny-all": ``netpolkit-explorer-policies`` on the box, ``netpolkit-explorer-policy`` on each checkbox; one
    click toggles one policy; ``policy_boxes`` maps ref -> Checkbox), ``no_policy`` (the "no policy in this step"
    line, ``netpolkit-explorer-no-policy``, shown only then), ``source`` ("source", ``netpolkit-explorer-source``)
    and ``destination`` ("destination", ``netpolkit-explorer-destination``) dropdowns ("(none)" first), ``changes``
    ("show changes since the step before", ``netpolkit-explorer-changes``), ``summary``
    (``netpolkit-explorer-summary``), ``explain`` (the explain text, ``netpolkit-explorer-explain``) and
    ``picture`` (an Output holding the heatmap PNG, ``netpolkit-explorer-picture``); the whole view is
    ``netpolkit-explorer``. :data:`CSS_CLASSES` lists them.

    The picked source's row, destination's column and their cell are outlined. With "show changes" on (and a
    step before) the picture is the step figure, the diff under the heatmap. ``figure_`` keeps the last figure
    drawn, ``png_`` its PNG bytes. Shown in a notebook, the explorer also puts a static picture with the summary
    and explain text next to the widget (``netpolkit-explorer-static``): a static page (nbconvert, a preview)
    shows that, a live one hides it once the widget is rendered.
    """

    def __init__(self, state: ExplorerState, *, show_changes: bool = True) -> None:
        widgets = _ipywidgets()
        self.state = state
        self._syncing = False
        self._widgets = widgets
        endpoints = self._endpoint_options(state)
        self.step = self._dropdown("step", list(state.steps), state.step)
        self.port = self._dropdown("port", list(state.ports), state.port)
        self.profile = self._dropdown("profile", list(state.profiles), state.profile)
        self.source = self._dropdown("source", endpoints, "")
        self.destination = self._dropdown("destination", endpoints, "")
        self.changes = widgets.Checkbox(
            value=show_changes, description="show changes since the step before", indent=False
        )
        self.changes.layout.width = "auto"
        self.policy_boxes: dict[str, Any] = {}
        self.policies = widgets.VBox(layout=widgets.Layout(width="auto"))
        self.no_policy = widgets.HTML(f"<i>{html.escape(NO_POLICY)}</i>")
        self.summary = widgets.HTML()
        self.explain = widgets.HTML()
        self.picture = widgets.Output(layout=widgets.Layout(width="100%"))
        for name, widget in (
            ("step", self.step),
            ("port", self.port),
            ("profile", self.profile),
            ("policies", self.policies),
            ("no_policy", self.no_policy),
            ("source", self.source),
            ("destination", self.destination),
            ("changes", self.changes),
            ("summary", self.summary),
            ("explain", self.explain),
            ("picture", self.picture),
        ):
            widget.add_class(CSS_CLASSES[name])
        self._on(self.step, lambda value: state.select_step(value))
        self._on(self.port, lambda value: state.select_port(value))
        self._on(self.profile, lambda value: state.select_profile(value))
        self._on(self.source, lambda value: self._pair())
        self._on(self.destination, lambda value: self._pair())
        self._on(self.changes, lambda value: self.redraw(state))
        state.observe(self.redraw)
        wrap = widgets.Layout(flex_flow="row wrap", align_items="center")
        policies = widgets.VBox(
            [widgets.HTML("<b>policies</b> (untick to switch one off)"), self.policies, self.no_policy]
        )
        controls = widgets.VBox(
            [
                widgets.HBox([self.step, self.port, self.profile, self.changes], layout=wrap),
                widgets.HBox([self.source, self.destination], layout=wrap),
                policies,
            ]
        )
        self.widget = widgets.VBox([controls, self.summary, self.explain, self.picture])
        self.widget.add_class(CSS_CLASSES["explorer"])
        self.redraw(state)

    def _dropdown(self, description: str, options: Sequence[Any], value: Any) -> Any:
        """A dropdown as wide as its longest option, so endpoint ids and step names are never cut."""
        widget = self._widgets.Dropdown(
            options=options, value=value, description=description, style={"description_width": "initial"}
        )
        self._fit_width(widget)
        return widget

    @staticmethod
    def _fit_width(widget: Any) -> None:
        labels = [o[0] if isinstance(o, tuple) else str(o) for o in widget.options]
        chars = max((len(label) for label in labels), default=4) + len(widget.description)
        widget.layout.width = f"calc({chars + 3}ch + 48px)"

    @staticmethod
    def _endpoint_options(state: ExplorerState) -> list[tuple[str, str]]:
        return [(_NONE, ""), *((e, e) for e in state.reach.endpoints.index)]

    def _on(self, widget: Any, handler: Callable[[Any], None]) -> None:
        """Call ``handler(new value)`` when the user changes ``widget`` (not while the view syncs itself)."""
        widget.observe(lambda change: None if self._syncing else handler(change["new"]), names="value")

    def _policy_box(self, ref: str) -> Any:
        box = self._widgets.Checkbox(value=True, description=ref, indent=False, tooltip=ref)
        box.layout.width = "auto"
        box.add_class(CSS_CLASSES["policy"])
        self._on(box, lambda value: self.state.toggle_policy(ref, bool(value)))
        return box

    def _pair(self) -> None:
        src, dst = self.source.value or None, self.destination.value or None
        self.state.highlighted, self.state.highlight_role = (src, "source") if src else (dst, "destination")
        self.state.select_pair(src, dst)

    @property
    def outline(self) -> tuple[str | None, str | None]:
        """(source, destination) the picture outlines: the picked ends, else the state's highlighted endpoint."""
        state = self.state
        if state.pair:
            return state.pair
        src, dst = self.source.value or None, self.destination.value or None
        if src or dst:
            return src, dst
        if state.highlighted is None:
            return None, None
        return (state.highlighted, None) if state.highlight_role == "source" else (None, state.highlighted)

    def redraw(self, state: ExplorerState) -> None:
        """Bring every widget in line with the state and redraw the heatmap."""
        self._syncing = True
        try:
            refs = state.policy_refs
            if list(self.policy_boxes) != refs:
                self.policy_boxes = {ref: self._policy_box(ref) for ref in refs}
                self.policies.children = tuple(self.policy_boxes.values())
            for ref, box in self.policy_boxes.items():
                box.value = ref not in state.disabled
            self.no_policy.layout.display = None if not refs else "none"
            endpoints = tuple(self._endpoint_options(state))
            if tuple(self.source.options) != endpoints:
                self.source.options = self.destination.options = endpoints
                self._fit_width(self.source)
                self._fit_width(self.destination)
            known = {value for _, value in endpoints}
            pair = state.pair or (self.source.value, self.destination.value)
            self.source.value, self.destination.value = (e if e in known else "" for e in pair)
            self.step.value, self.port.value, self.profile.value = state.step, state.port, state.profile
        finally:
            self._syncing = False
        self.summary.value = html.escape(state.summary)
        self.explain.value = f"<pre>{html.escape(state.explanation_text)}</pre>"
        self.png_ = self._render(state)
        png = base64.b64encode(self.png_).decode("ascii")
        self.picture.outputs = (
            {"output_type": "display_data", "data": {"image/png": png, "text/plain": self._alt(state)}, "metadata": {}},
        )

    def _render(self, state: ExplorerState) -> bytes:
        """The heatmap (with the diff under it when showing changes) as PNG bytes; keeps the figure in ``figure_``."""
        import matplotlib.pyplot as plt

        from netpolkit import plot

        previous = state.previous_reach if self.changes.value else None
        outline = self.outline if any(self.outline) else None
        if previous is not None:
            figure = plot.step_figure(previous, state.reach, state.port, highlight=outline, layout="column")
        else:
            figure = plot.heatmap(state.reach, state.port, highlight=outline).figure_
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=plot.INLINE_DPI, bbox_inches="tight")
        self.figure_ = figure  # the last heatmap drawn (kept for tests and for saving)
        plt.close(figure)
        return buffer.getvalue()

    @staticmethod
    def _alt(state: ExplorerState) -> str:
        return f"<heatmap of step {state.step} on {state.port}, profile {state.profile}>"

    def static_bundle(self) -> dict[str, str]:
        """What a static page shows instead of the widget: the current picture, the summary and the explain text
        (``text/html`` with a PNG, ``image/png``, ``text/plain``)."""
        png = base64.b64encode(self.png_).decode("ascii")
        text = f"{self.state.summary}\n{self.state.explanation_text}"
        page = (
            f'{_HIDE_STATIC}<div class="{CSS_CLASSES["static"]}">'
            f"<p><i>A static picture of the explorer (run the notebook to use its controls).</i></p>"
            f"<p>{html.escape(self.state.summary)}</p>"
            f'<img src="data:image/png;base64,{png}" alt="{html.escape(self._alt(self.state))}" '
            'style="max-width: 100%">'
            f"<pre>{html.escape(self.state.explanation_text)}</pre></div>"
        )
        return {"text/html": page, "image/png": png, "text/plain": f"{self._alt(self.state)}\n{text}"}

    def _repr_mimebundle_(self, **kwargs: Any) -> dict:
        """The widget view plus a static fallback (PNG and text) for front ends that cannot render widgets."""
        bundle = self.widget._repr_mimebundle_(**kwargs) or {}
        static = self.static_bundle()
        return {**bundle, "image/png": static["image/png"], "text/plain": static["text/plain"]}

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)
        display(self.static_bundle(), raw=True)


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
