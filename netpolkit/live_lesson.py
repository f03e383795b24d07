"""Live mode of the tutorial notebooks: probe each step on your own cluster, and apply the steps if you ask to.

A notebook with ``live = True`` calls these under ``if live:``::

    >>> run = live_lesson.start(context, tut, namespace="yournamespace")            # doctest: +SKIP
    >>> run.step("s1-deny-all")          # probes, compares with the model, draws the mismatches   # doctest: +SKIP
    >>> run.cleanup()                                                                # doctest: +SKIP

Probes run in the pods the tutorial's expectations name (exec: ``nc``/``curl``/``wget`` in the source pod), only
when asked. Nothing is written to the cluster unless ``apply=True``: then each :meth:`LiveRun.step` first applies
the step's manifests to the tutorial's own namespace (objects of other namespaces and cluster-scoped ones are left
out and listed), labelled ``app.kubernetes.io/managed-by=netpolkit`` and ``netpolkit.io/run=<id>``, waits for the
pods, and :meth:`LiveRun.cleanup` removes exactly what the run created.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from netpolkit.course import Step, Tutorial, reachability_for
from netpolkit.io.live import fetch_objects
from netpolkit.io.live.apply import ApplyReport, NamespaceApplier
from netpolkit.io.live.client import connect
from netpolkit.io.live.exec import PodExec
from netpolkit.io.probe import Prober
from netpolkit.matrix import Reachability
from netpolkit.probe_plot import probe_heatmap
from netpolkit.probing import ProbeMatrix, ProbePair, live_pods, probe_matrix

ApiClient = Any  # a kubernetes.client.ApiClient (only netpolkit.io.live imports kubernetes)

__all__ = ["LiveRun", "apply_step", "probe_pairs", "start"]


def probe_pairs(step: Step) -> list[ProbePair]:
    """The probes of a tutorial step: one per expectation (source, destination, pod port, how it is addressed)."""
    return [ProbePair(e.src, e.dst, e.port, e.protocol, e.via) for e in step.expect]


def _deletions(step: Step) -> list[tuple[str, str, str]]:
    return [(d.api_version or "", d.kind, d.name) for d in step.delete]


@dataclass
class LiveRun:
    """One live session of a tutorial: a read client, an exec client, and (with ``apply``) a namespace applier."""

    tutorial: Tutorial
    namespace: str
    client: ApiClient
    prober: Prober
    applier: NamespaceApplier | None = None
    profile: str | None = None
    wait: float | None = 180.0
    """Seconds :meth:`step` waits for the applied pods to be ready (None: no wait)."""
    reports: list[ApplyReport] = field(default_factory=list)

    def apply_step(self, step_id: str, *, outside: str = "skip") -> ApplyReport:
        """Apply one step to the namespace (needs ``apply=True`` in :func:`start`); wait up to :attr:`wait` s for
        its pods to be ready."""
        if self.applier is None:
            raise RuntimeError("this run does not write to the cluster: start(..., apply=True) to apply steps")
        step = self.tutorial.step(step_id)
        objects = [doc.obj for doc in step.documents()]
        report = self.applier.apply(objects, deletions=_deletions(step), outside=outside)
        self.reports.append(report)
        if self.wait:
            self.applier.wait_ready(timeout=self.wait)
        return report

    def predicted(self, step_id: str, *, profile: str | None = None) -> Reachability:
        """The model's verdicts after ``step_id`` (``profile``: default the run's, else the tutorial's)."""
        return reachability_for(self.tutorial, step_id, profile=profile or self.profile)

    def probe(
        self, step_id: str, pairs: Sequence[ProbePair] | None = None, *, profile: str | None = None
    ) -> ProbeMatrix:
        """Probe ``pairs`` (default: the step's expectations) in the live cluster against the model after the step."""
        predicted = self.predicted(step_id, profile=profile)
        namespaces = sorted(set(predicted.cluster.pods["namespace"]))
        objects = fetch_objects(
            self.client,
            namespaces=namespaces,
            include_calico=False,
            include_cilium=False,
            include_network_policy_api=False,
        )
        pods = live_pods(objects, predicted)
        chosen = list(pairs) if pairs is not None else probe_pairs(self.tutorial.step(step_id))
        return probe_matrix(self.prober, chosen, predicted, pods)

    def step(self, step_id: str, *, profile: str | None = None, show: bool = True) -> ProbeMatrix:
        """With ``apply``: apply the step first. Then probe it and (``show``) draw the heatmap and the mismatches."""
        if self.applier is not None:
            self.apply_step(step_id)
        result = self.probe(step_id, profile=profile)
        if show:
            from IPython.display import display

            display(probe_heatmap(result, title=f"live: {step_id}").figure_)
            columns = ["src", "dst", "port", "via", "predicted", "observed", "outcome", "reason"]
            display(result.cells[columns])
        return result

    def cleanup(self) -> list[Any]:
        """Remove every object this run created (nothing when it did not apply); close the clients."""
        removed = self.applier.cleanup() if self.applier is not None else []
        self.close()
        return removed

    def close(self) -> None:
        """Close the clients."""
        self.prober.executor.close()  # type: ignore[attr-defined]
        if self.applier is not None:
            self.applier.close()
        self.client.close()


def start(
    context: str | None,
    tutorial: Tutorial,
    namespace: str,
    *,
    apply: bool = False,
    kubeconfig: str | os.PathLike[str] | None = None,
    api_client: ApiClient | None = None,
    run_id: str | None = None,
    timeout: float = 2.0,
    profile: str | None = None,
) -> LiveRun:
    """Open a live session for ``tutorial`` on ``context`` (or ``api_client``); ``apply=True`` allows writing to
    ``namespace`` (only there). ``timeout``: seconds per connection attempt."""
    if api_client is not None:
        client = type(api_client)(api_client.configuration)
        execer = PodExec(api_client=api_client)
        applier = NamespaceApplier(namespace, api_client=client, run_id=run_id) if apply else None
    else:
        client = connect(kubeconfig=kubeconfig, context=context)
        execer = PodExec(kubeconfig=kubeconfig, context=context)
        applier = NamespaceApplier(namespace, kubeconfig=kubeconfig, context=context, run_id=run_id) if apply else None
    return LiveRun(tutorial, namespace, client, Prober(execer, timeout=timeout), applier, profile)


def apply_step(
    context: str | None,
    tutorial: Tutorial,
    step: str,
    *,
    namespace: str,
    run_id: str | None = None,
    api_client: ApiClient | None = None,
    outside: str = "skip",
) -> tuple[ApplyReport, NamespaceApplier]:
    """Apply one step of ``tutorial`` to ``namespace`` on ``context`` (explicit: this writes to the cluster).

    Returns the report and the applier, whose ``cleanup()`` removes what it created. Objects outside ``namespace``
    are left out (``outside="error"``: refused, nothing written).
    """
    if api_client is not None:
        applier = NamespaceApplier(namespace, api_client=api_client, run_id=run_id)
    else:
        applier = NamespaceApplier(namespace, context=context, run_id=run_id)
    item = tutorial.step(step)
    report = applier.apply([d.obj for d in item.documents()], deletions=_deletions(item), outside=outside)
    return report, applier
