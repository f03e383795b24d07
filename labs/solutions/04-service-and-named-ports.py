# %% [markdown]
# # Lab 04 — Services and named ports
# A Service is only an address book: by the time a policy looks at a connection, the Service has already
# rewritten it to a pod and a container port. In this lab you protect a pod that hides behind a Service with
# different port numbers and different port names, and you see which of those numbers and names a policy may use.
# The story, the goal and both heatmaps are printed below.

# %% tags=["parameters"]
strict = False  # CI sets strict=True on solutions: then the check raises unless it passes

# %%
from netpolkit import lab

exercise = lab.Lab.load("04-service-and-named-ports")
exercise.show()  # story, goal, the current heatmap and the target heatmap

# %% [markdown]
# ## Your answer
# Write one or more policies (YAML documents separated by ---) in the cell below, then run the check.

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
result.show()  # pass, or the differing cells, a diff heatmap and a hint
if strict:
    result.raise_unless_passed()
