"""Every bound netpolkit puts on its input, in one place.

Manifests come from anywhere (a ``kubectl get -A -o json`` export, a colleague's file, standard input), so reading
them must take bounded time and memory and fail with a :class:`~netpolkit.PolicyError` naming the file and line,
never with a RecursionError, a MemoryError or a message gigabytes long. Each limit is set so that every object the
Kubernetes API server can hold, and every export of a cluster it supports, passes:

======================  ==========  ================================================================================
Limit                   Value       Why
======================  ==========  ================================================================================
``MAX_FILE_BYTES``      2 GiB       One file, or standard input, or the text given to ``read_text``. A
                                    ``kubectl get -A -o json`` export of 100,000 pods is ~500 MB (5 KB a pod;
                                    7.5 KB with ``--show-managed-fields``), and Kubernetes supports at most
                                    150,000 pods a cluster: ~1.1 GB at worst. Parsed, Python objects take 5-10x
                                    the text, so a larger file would not fit in memory anyway; the limit turns
                                    ``/dev/zero`` or a disk image given by mistake into an error, not an
                                    exhausted machine.
``MAX_OBJECT_CHARS``    32 MiB      One object: a document, or one item of a ``kind: List`` (an export is one
                                    List document holding every object, so this cannot bound a document). The API
                                    server refuses a request over 3 MiB (etcd stores at most 1.5 MiB); printed
                                    with kubectl's indentation or in YAML block style the same object takes a few
                                    times that. 32 MiB is ten times the request cap: only something that is not
                                    a Kubernetes object exceeds it. It must be far below the file limit because a
                                    file holds many objects.
``MAX_DEPTH``           200         Nesting of mappings and lists from a document's root. The deepest real
                                    objects are CustomResourceDefinitions (openAPIV3Schema, and managedFields that
                                    mirror it) at a few dozen levels. 200 keeps every recursive consumer (Python's
                                    C JSON decoder, ``repr``, ``copy.deepcopy``, ``==``) far below Python's
                                    recursion limit of 1,000, so a 20,000-deep ``[[[[`` is one clear error.
``MAX_ALIAS_NODES``     1,000,000   YAML nodes that aliases add to one file, an alias counting as the whole
                                    node it repeats (an alias of an alias multiplies). A 700-byte "billion laughs"
                                    file (9 levels of 9 aliases) expands to 387 million nodes; hand-written
                                    manifests reuse a few labels or a container spec (thousands of nodes), and
                                    kubectl never writes aliases. Aliases that contain themselves are
                                    refused outright.
``MAX_SELECTOR_DEPTH``  100         Depth of a Calico selector's syntax tree: nested parentheses, ``!`` and the
                                    terms of an ``&&`` / ``||`` chain (each term nests one level). Real selectors
                                    have a handful of terms; a longer chain can be split into parenthesized
                                    groups (``(a && b) && (c && d)``) or written with ``in {...}``.
``MAX_EXCERPT_CHARS``   60          How much of a bad value an error message quotes (an elided excerpt beyond).
``MAX_MESSAGE_CHARS``   2,000       A backstop: no PolicyError message (or field path) is longer.
======================  ==========  ================================================================================

Work is then bounded by the size of the input: YAML and JSON are read in time linear in the text, aliases add at
most ``MAX_ALIAS_NODES``, and each object is checked field by field.
"""

from __future__ import annotations

__all__ = [
    "MAX_ALIAS_NODES",
    "MAX_DEPTH",
    "MAX_EXCERPT_CHARS",
    "MAX_FILE_BYTES",
    "MAX_MESSAGE_CHARS",
    "MAX_OBJECT_CHARS",
    "MAX_SELECTOR_DEPTH",
]

MAX_FILE_BYTES = 2 * 1024**3
MAX_OBJECT_CHARS = 32 * 1024**2
MAX_DEPTH = 200
MAX_ALIAS_NODES = 1_000_000
MAX_SELECTOR_DEPTH = 100
MAX_EXCERPT_CHARS = 60
MAX_MESSAGE_CHARS = 2_000
