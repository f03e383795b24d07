# %% [markdown]
# # Lab 03 — Lock down egress without breaking DNS
# Isolating egress is where most clusters break: the first thing every pod does is ask the cluster DNS for a
# name. In this lab you restrict what may leave a namespace and keep name resolution working, over both
# protocols DNS uses. The story, the goal and the cells you must change follow.

# %% tags=["parameters"]
strict = False  # CI sets strict=True on solutions: then the check raises unless it passes

# %%
from netpolkit import lab

exercise = lab.Lab.load("03-egress-dns")
exercise.show()  # story, goal and one picture of the cells you must change

# %% [markdown]
# ## Your answer
# Your answer lives in its own file, `answers/03-egress-dns.yaml`: git ignores `labs/answers/`, so `git pull`
# never meets your work and this notebook stays as the course ships it. Run the next cell: the first time it
# creates the file from a template. Click the link, write one or more NetworkPolicies there (YAML documents
# separated by `---`), save (Ctrl+S), then run the check. Edit, save and check as often as you like.

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
result.show()  # pass, or a hint, a diff heatmap per differing port and the differing cells
if strict:
    result.raise_unless_passed()
