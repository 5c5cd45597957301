"""The nested Python containers (pytrees) that ``lanterna.func`` transforms map over.

A pytree is a tensor (or any other leaf) or a tuple, list, dict, ``OrderedDict``,
``defaultdict``, namedtuple or ``Size`` of pytrees, as ``torch.utils._pytree`` defines it;
:class:`TreeSpec` prints the same way, so error messages that show a structure match PyTorch's.

>>> from lanterna.func._pytree import tree_flatten, tree_unflatten
>>> leaves, spec = tree_flatten((1, [2, {"x": 3}]))
>>> leaves
[1, 2, 3]
>>> tree_unflatten([4, 5, 6], spec)
(4, [5, {'x': 6}])
"""

from __future__ import annotations

from collections import OrderedDict, defaultdict

_NAMEDTUPLE = "namedtuple"  # the kind of every namedtuple class (the class is the context)


class TreeSpec:
    """The structure of a pytree: a container kind, its context (dict keys, namedtuple class)
    and one spec per child."""

    __slots__ = ("kind", "context", "children", "num_leaves")

    def __init__(self, kind, context, children):
        self.kind = kind
        self.context = context
        self.children = children
        self.num_leaves = sum(c.num_leaves for c in children)

    def __eq__(self, other):
        if not isinstance(other, TreeSpec):
            return NotImplemented
        if isinstance(other, LeafSpec):
            return False
        return self.kind == other.kind and self.context == other.context and self.children == other.children

    __hash__ = None

    def _kind_name(self):
        return self.kind if isinstance(self.kind, str) else self.kind.__name__

    def __repr__(self, indent=0):
        # PyTorch's layout: the first child on the same line, the others each on a new line
        text = f"TreeSpec({self._kind_name()}, {self.context}, ["
        if self.children:
            indent += 2
            text += self.children[0].__repr__(indent)
            text += "," if len(self.children) > 1 else ""
            text += ",".join("\n" + " " * indent + c.__repr__(indent) for c in self.children[1:])
        return text + "])"


class LeafSpec(TreeSpec):
    """The structure of a leaf: printed ``*``."""

    __slots__ = ()

    def __init__(self):
        self.kind, self.context, self.children, self.num_leaves = None, None, [], 1

    def __eq__(self, other):
        return isinstance(other, LeafSpec) if isinstance(other, TreeSpec) else NotImplemented

    __hash__ = None

    def __repr__(self, indent=0):
        return "*"


_LEAF = LeafSpec()


def _size_type():
    from .._tensor import Size

    return Size


def _node(tree):
    """``(kind, context, children)`` for a container, or None for a leaf."""
    t = type(tree)
    if t is tuple or t is list:
        return t, None, list(tree)
    if t is dict or t is OrderedDict:
        return t, list(tree), list(tree.values())
    if t is defaultdict:
        return t, [tree.default_factory, list(tree)], list(tree.values())
    if isinstance(tree, tuple):
        if hasattr(t, "_fields"):
            return _NAMEDTUPLE, t, list(tree)
        if t is _size_type():
            return t, None, list(tree)
    return None


def _rebuild(kind, context, children):
    if kind is tuple or kind is list:
        return kind(children)
    if kind is dict or kind is OrderedDict:
        return kind(zip(context, children))
    if kind is defaultdict:
        return defaultdict(context[0], zip(context[1], children))
    if kind == _NAMEDTUPLE:
        return context(*children)
    return kind(children)  # Size


def tree_flatten(tree):
    """``(leaves, spec)``: the leaves in order (dicts in key order) and the structure."""
    leaves = []

    def walk(node):
        parts = _node(node)
        if parts is None:
            leaves.append(node)
            return _LEAF
        kind, context, children = parts
        return TreeSpec(kind, context, [walk(c) for c in children])

    spec = walk(tree)
    return leaves, spec


def tree_unflatten(leaves, spec):
    """The pytree of structure ``spec`` holding ``leaves`` (the inverse of :func:`tree_flatten`)."""
    leaves = list(leaves)
    if len(leaves) != spec.num_leaves:
        raise ValueError(f"treespec.unflatten(leaves): `leaves` has length {len(leaves)} but the spec refers "
                         f"to a pytree that holds {spec.num_leaves} items ({spec}).")
    it = iter(leaves)

    def build(s):
        if isinstance(s, LeafSpec):
            return next(it)
        return _rebuild(s.kind, s.context, [build(c) for c in s.children])

    return build(spec)


def tree_map(fn, tree):
    leaves, spec = tree_flatten(tree)
    return tree_unflatten([fn(x) for x in leaves], spec)


def broadcast_to_and_flatten(prefix, spec):
    """The leaves of ``prefix`` repeated over the leaves of the full structure ``spec`` it is a
    prefix of (``in_dims=(0, None)`` for ``(tensor, {"a": t, "b": u})`` gives ``[0, None, None]``),
    or None if ``prefix`` is not a prefix of ``spec``."""
    out = []

    def walk(p, s):
        parts = _node(p)
        if parts is None:
            out.extend([p] * s.num_leaves)
            return True
        kind, context, children = parts
        if isinstance(s, LeafSpec) or kind != s.kind:
            return False
        if kind is dict or kind is OrderedDict or kind is defaultdict:
            keys = context if kind is not defaultdict else context[1]
            full_keys = s.context if kind is not defaultdict else s.context[1]
            if set(keys) != set(full_keys):
                return False
            by_key = dict(zip(keys, children))
            return all(walk(by_key[k], c) for k, c in zip(full_keys, s.children))
        if kind == _NAMEDTUPLE and context is not s.context:
            return False
        if len(children) != len(s.children):
            return False
        return all(walk(c, cs) for c, cs in zip(children, s.children))

    return out if walk(prefix, spec) else None


def treespec_pprint(spec):
    """The structure drawn as a pytree of ``*`` (PyTorch's ``treespec_pprint``)."""

    class _Star:
        def __repr__(self):
            return "*"

    return repr(tree_unflatten([_Star()] * spec.num_leaves, spec))
