# %% [markdown]
# # Lab 03 — Lock down egress without breaking DNS
# Isolating egress is where most clusters break: the first thing every pod does is ask the cluster DNS for a
# name. In this lab you restrict what may leave a namespace and keep name resolution working, over both
# protocols DNS uses. The story, the goal and both heatmaps follow.

# %% tags=["parameters"]
strict = False  # CI sets strict=True on solutions: then the check raises unless it passes

# %%
from netpolkit import lab

exercise = lab.Lab.load("03-egress-dns")
exercise.show()  # story, goal, the current heatmap and the target heatmap

# %% [markdown]
# ## Your answer
# Write one or more policies (YAML documents separated by ---) in the cell below, then run the check.

# %% tags=["solution"]
answer = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny-egress
  namespace: orders
spec:
  podSelector: {}
  policyTypes:
    - Egress
---
# Every pod of orders may ask the cluster DNS, over UDP and TCP.
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-dns
  namespace: orders
spec:
  podSelector: {}
  policyTypes:
    - Egress
  egress:
    - to:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: kube-system
          podSelector:
            matchLabels:
              k8s-app: kube-dns
      ports:
        - protocol: UDP
          port: 53
        - protocol: TCP
          port: 53
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: app-allow-db
  namespace: orders
spec:
  podSelector:
    matchLabels:
      component: app
  policyTypes:
    - Egress
  egress:
    - to:
        - podSelector:
            matchLabels:
              component: db
      ports:
        - protocol: TCP
          port: 5432
"""

# %%
result = exercise.check(answer)
result.show()  # pass, or the differing cells, a diff heatmap and a hint
if strict:
    result.raise_unless_passed()
