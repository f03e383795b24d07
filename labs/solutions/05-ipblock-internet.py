# %% [markdown]
# # Lab 05 — ipBlock: talking to the internet
# Pods outside the cluster have no labels, only addresses, so policies name them with `ipBlock`. An ipBlock can
# only allow; its `except` list cuts holes into the range it allows. In this lab you open one partner range
# minus one host for outgoing traffic, and the whole internet but not the cluster's own pods for incoming
# traffic. The story, the goal and the cells you must change follow.

# %% tags=["parameters"]
strict = False  # CI sets strict=True on solutions: then the check raises unless it passes

# %%
from netpolkit import lab

exercise = lab.Lab.load("05-ipblock-internet")
exercise.show()  # story, goal and one picture of the cells you must change

# %% [markdown]
# ## Your answer
# Your answer lives in its own file, `answers/05-ipblock-internet.yaml`: git ignores `labs/answers/`, so `git
# pull` never meets your work and this notebook stays as the course ships it. Run the next cell: the first time
# it creates the file from a template. Click the link, write one or more NetworkPolicies there (YAML documents
# separated by `---`), save (Ctrl+S), then run the check. Edit, save and check as often as you like.

# %% tags=["solution"]
answer = """
# checkout: only frontend may call it; it may only call the partner's range, minus the legacy host.
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: checkout
  namespace: storefront
spec:
  podSelector:
    matchLabels:
      app: checkout
  policyTypes:
    - Ingress
    - Egress
  ingress:
    - from:
        - podSelector:
            matchLabels:
              app: frontend
      ports:
        - protocol: TCP
          port: 8080
  egress:
    - to:
        - ipBlock:
            cidr: 198.51.100.0/24
            except:
              - 198.51.100.66/32
      ports:
        - protocol: TCP
          port: 443
---
# frontend: HTTPS from any internet address, but not from the cluster's pods (10.244.0.0/14).
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: frontend-from-internet
  namespace: storefront
spec:
  podSelector:
    matchLabels:
      app: frontend
  policyTypes:
    - Ingress
  ingress:
    - from:
        - ipBlock:
            cidr: 0.0.0.0/0
            except:
              - 10.244.0.0/14
      ports:
        - protocol: TCP
          port: 443
"""

# %%
result = exercise.check(answer)
result.show()  # pass, or a hint, a diff heatmap per differing port and the differing cells
if strict:
    result.raise_unless_passed()
