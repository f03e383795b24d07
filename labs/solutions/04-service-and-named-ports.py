# %% [markdown]
# # Lab 04 — Services and named ports
# A Service is only an address book: by the time a policy looks at a connection, the Service has already
# rewritten it to a pod and a container port. In this lab you protect a pod that hides behind a Service with
# different port numbers and different port names, and you see which of those numbers and names a policy may use.
# The story, the goal and the cells you must change follow.

# %% tags=["parameters"]
strict = False  # CI sets strict=True on solutions: then the check raises unless it passes

# %%
from netpolkit import lab

exercise = lab.Lab.load("04-service-and-named-ports")
exercise.show()  # story, goal and one picture of the cells you must change

# %% [markdown]
# ## Your answer
# Your answer lives in its own file, `answers/04-service-and-named-ports.yaml`: git ignores `labs/answers/`, so
# `git pull` never meets your work and this notebook stays as the course ships it. Run the next cell: the first
# time it creates the file from a template. Click the link, write one or more NetworkPolicies there (YAML
# documents separated by `---`), save (Ctrl+S), then run the check. Edit, save and check as often as you like.

# %% tags=["solution"]
answer = """
# One policy isolates api for ingress and lists its two callers.
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: api-ingress
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
          port: http  # api's container port name (3000), not the Service port (80, "http-api")
    - from:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: monitoring
          podSelector:
            matchLabels:
              app.kubernetes.io/name: prometheus
      ports:
        - protocol: TCP
          port: metrics  # container port 9102; "http-metrics" is only the Service's name for it
"""

# %%
result = exercise.check(answer)
result.show()  # pass, or a hint, a diff heatmap per differing port and the differing cells
if strict:
    result.raise_unless_passed()
