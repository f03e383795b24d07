"""Object names, kinds and metadata fields as the API server accepts them: the patterns both parsers check."""

from __future__ import annotations

import re

__all__ = ["API_VERSION", "DNS_LABEL", "DNS_SUBDOMAIN", "KIND", "METADATA_FIELDS"]

# The fields of ObjectMeta netpolkit accepts on a strictly parsed object (the policy kinds).
METADATA_FIELDS = (
    "name",
    "namespace",
    "labels",
    "annotations",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "managedFields",
    "ownerReferences",
    "finalizers",
    "generateName",
    "selfLink",
)
# Whole strings only, always with ``fullmatch``: Python's ``$`` also matches before a trailing newline (Go's does not).
DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
# A kind is a DNS-1035 label whatever its case (as CustomResourceDefinitions require); an apiVersion is a version,
# or a group (a DNS subdomain) and a version.
KIND = re.compile(r"[A-Za-z]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?")
API_VERSION = re.compile(
    r"([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[a-z0-9]([-a-z0-9]*[a-z0-9])?"
)
