# %% [markdown]
# # Lab 02 — Let Prometheus in, and only Prometheus
# A peer can pick pods by namespace, by pod labels, or by both at once, and the YAML for "both" differs from
# the YAML for "either" by a single dash. In this lab you admit a scraper from another namespace without
# admitting its neighbours or a pod that only looks like it. The story, the goal and both heatmaps follow.

# %% tags=["parameters"]
strict = False  # CI sets strict=True on solutions: then the check raises unless it passes

# %%
from netpolkit import lab

exercise = lab.Lab.load("02-and-or-peers")
exercise.show()  # story, goal, the current heatmap and the target heatmap

# %% [markdown]
# ## Your answer
# Write one or more policies (YAML documents separated by ---) in the cell below, then run the check.

# %% tags=["solution"]
answer = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: api-allow-prometheus
  namespace: payments
spec:
  podSelector:
    matchLabels:
      app: api
  policyTypes:
    - Ingress
  ingress:
    - from:
        # one list item: namespace monitoring AND label app=prometheus
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: monitoring
          podSelector:
            matchLabels:
              app: prometheus
      ports:
        - protocol: TCP
          port: metrics  # the api container's port name (9102)
"""

# %%
result = exercise.check(answer)
result.show()  # pass, or the differing cells, a diff heatmap and a hint
if strict:
    result.raise_unless_passed()
