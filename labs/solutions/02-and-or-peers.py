# %% [markdown]
# # Lab 02 — Let Prometheus in, and only Prometheus
# A peer can pick pods by namespace, by pod labels, or by both at once, and the YAML for "both" differs from
# the YAML for "either" by a single dash. In this lab you admit a scraper from another namespace without
# admitting its neighbours or a pod that only looks like it. The story, the goal and the cells you must change follow.

# %% tags=["parameters"]
strict = False  # CI sets strict=True on solutions: then the check raises unless it passes

# %%
from netpolkit import lab

exercise = lab.Lab.load("02-and-or-peers")
exercise.show()  # story, goal and one picture of the cells you must change

# %% [markdown]
# ## Your answer
# Your answer lives in its own file, `answers/02-and-or-peers.yaml`: git ignores `labs/answers/`, so `git pull`
# never meets your work and this notebook stays as the course ships it. Run the next cell: the first time it
# creates the file from a template. Click the link, write one or more NetworkPolicies there (YAML documents
# separated by `---`), save (Ctrl+S), then run the check. Edit, save and check as often as you like.

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
result.show()  # pass, or a hint, a diff heatmap per differing port and the differing cells
if strict:
    result.raise_unless_passed()
