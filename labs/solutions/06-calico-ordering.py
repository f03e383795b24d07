# %% [markdown]
# # Lab 06 — Calico: order decides
# Calico policies are not simply added up like Kubernetes ones: for each pod and direction they run one after
# the other, by `order` and then by name, and the first rule that says Allow or Deny wins. In this lab you
# open one flow between two pods that a cluster-wide policy and a namespace Deny both keep closed.
# The story, the goal and the cells you must change follow.

# %% tags=["parameters"]
strict = False  # CI sets strict=True on solutions: then the check raises unless it passes

# %%
from netpolkit import lab

exercise = lab.Lab.load("06-calico-ordering")
exercise.show()  # story, goal and one picture of the cells you must change

# %% [markdown]
# ## Your answer
# Your answer lives in its own file, `answers/06-calico-ordering.yaml`: git ignores `labs/answers/`, so `git
# pull` never meets your work and this notebook stays as the course ships it. Run the next cell: the first time
# it creates the file from a template. Click the link, write one or more Calico policies (projectcalico.org/v3)
# there (YAML documents separated by `---`), save (Ctrl+S), then run the check. Edit, save and check as often as
# you like.

# %% tags=["solution"]
answer = """
# wordpress's egress: order 500 runs before the global policy (1000) and the unordered default-deny.
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata:
  name: wordpress-to-mariadb
  namespace: blog
spec:
  order: 500
  selector: app == "wordpress"
  types:
    - Egress
  egress:
    - action: Allow
      protocol: TCP  # Calico rejects a rule with ports but no protocol
      destination:
        selector: app == "mariadb"
        ports: [3306]
---
# mariadb's ingress: both ends are selected by the deny policies, so both need an early Allow.
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata:
  name: mariadb-from-wordpress
  namespace: blog
spec:
  order: 500
  selector: app == "mariadb"
  types:
    - Ingress
  ingress:
    - action: Allow
      protocol: TCP
      source:
        selector: app == "wordpress"
      destination:
        ports: [3306]
"""

# %%
result = exercise.check(answer)
result.show()  # pass, or a hint, a diff heatmap per differing port and the differing cells
if strict:
    result.raise_unless_passed()
