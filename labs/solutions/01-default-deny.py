# %% [markdown]
# # Lab 01 — Default deny, then allow-list the shop's flows
# Kubernetes lets every pod talk to every other pod until a policy selects it. In this lab you isolate a
# whole namespace for incoming traffic with one policy that has no rules, then open exactly the flows the
# application needs, on the pods' own ports. The story, the goal and the cells you must change follow.

# %% tags=["parameters"]
strict = False  # CI sets strict=True on solutions: then the check raises unless it passes

# %%
from netpolkit import lab

exercise = lab.Lab.load("01-default-deny")
exercise.show()  # story, goal and one picture of the cells you must change

# %% [markdown]
# ## Your answer
# Your answer lives in its own file, `answers/01-default-deny.yaml`: git ignores `labs/answers/`, so `git pull`
# never meets your work and this notebook stays as the course ships it. Run the next cell: the first time it
# creates the file from a template. Click the link, write one or more NetworkPolicies there (YAML documents
# separated by `---`), save (Ctrl+S), then run the check. Edit, save and check as often as you like.

# %% tags=["solution"]
answer = """
# Isolate every pod of shop for ingress: a selection without rules.
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny-ingress
  namespace: shop
spec:
  podSelector: {}
  policyTypes:
    - Ingress
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: api-allow-web
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: api
  policyTypes:
    - Ingress
  ingress:
    - from:
        - podSelector:
            matchLabels:
              app: web
      ports:
        - protocol: TCP
          port: 8080  # the api pods' port, not the Service's 80
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: db-allow-api
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: db
  policyTypes:
    - Ingress
  ingress:
    - from:
        - podSelector:
            matchLabels:
              app: api
      ports:
        - protocol: TCP
          port: 5432
"""

# %%
result = exercise.check(answer)
result.show()  # pass, or a hint, a diff heatmap per differing port and the differing cells
if strict:
    result.raise_unless_passed()
