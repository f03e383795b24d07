# %% [markdown]
# # Lab 07 — Cluster-admin guardrails
# A ClusterNetworkPolicy (`policy.networking.k8s.io/v1alpha2`) lets the cluster admin decide before the
# namespace owners (the Admin tier) or after them (the Baseline tier). In the Admin tier, policies run by
# `priority` (lower first) and rules top-down: `Accept` and `Deny` are final, `Pass` hands the connection to the
# NetworkPolicies of the destination's namespace. In this lab you protect two restricted namespaces of a shared
# cluster without taking away what their owners, and another admin team, have already decided.
# The story, the goal and the cells you must change follow.

# %% tags=["parameters"]
strict = False  # CI sets strict=True on solutions: then the check raises unless it passes

# %%
from netpolkit import lab

exercise = lab.Lab.load("07-cluster-guardrails")
exercise.show()  # story, goal and one picture of the cells you must change

# %% [markdown]
# ## Your answer
# Your answer lives in its own file, `answers/07-cluster-guardrails.yaml`: git ignores `labs/answers/`, so `git
# pull` never meets your work and this notebook stays as the course ships it. Run the next cell: the first time
# it creates the file from a template. Click the link, write one or more ClusterNetworkPolicy objects (cluster-
# scoped: no metadata.namespace) there (YAML documents separated by `---`), save (Ctrl+S), then run the check.
# Edit, save and check as often as you like.

# %% tags=["solution"]
answer = """
# One Admin-tier policy, asked before campus-web (priority 20); the first matching rule decides.
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata:
  name: restricted-data-guardrail
spec:
  tier: Admin
  priority: 10
  subject:
    namespaces:
      matchLabels:
        data: restricted
  ingress:
    # (1) Accept is final: the grades NetworkPolicies, which refuse 9090, are never asked.
    - name: metrics-from-ops
      action: Accept
      from:
        - namespaces:
            matchLabels:
              kubernetes.io/metadata.name: ops
      protocols:
        - tcp:
            destinationPort:
              number: 9090
    # (2) Pass skips the rest of the Admin tier (campus-web too): the namespace owners decide.
    - name: library-is-the-owners-call
      action: Pass
      from:
        - namespaces:
            matchLabels:
              data: public
    # (3) Everything else from outside the restricted namespaces: students, the rest of ops.
    - name: nothing-else-from-outside
      action: Deny
      from:
        - namespaces:
            matchExpressions:
              - key: data
                operator: NotIn
                values: [restricted]
"""

# %%
result = exercise.check(answer)
result.show()  # pass, or a hint, a diff heatmap per differing port and the differing cells
if strict:
    result.raise_unless_passed()
