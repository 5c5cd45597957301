"""The functional in-place forms of the ``torch`` namespace: ``torch.exp_(t)`` is ``t.exp_()``,
``torch.clamp_(t, 0, 1)`` is ``t.clamp_(0, 1)`` ..., plus the few whose op has no Tensor method
(``torch.selu_``, ``torch.dropout_`` ...).

>>> import lanterna as torch
>>> t = torch.tensor([-1.0, 4.0])
>>> torch.relu_(t) is t, t
(True, tensor([0., 4.]))
"""

from __future__ import annotations

from .api import FAMILIES

#: ``torch.<name>`` of this module (listed once, in ``api.FAMILIES``)
_SPECIAL = ("celu_", "selu_", "threshold_", "dropout_", "alpha_dropout_", "feature_dropout_")
#: those that forward to the Tensor method of the same name
METHOD_FORMS = [n for n in FAMILIES[__name__.partition("lanterna.")[2]].split() if n not in _SPECIAL]


def _method_form(name):
    def fn(input, *args, **kwargs):
        return getattr(input, name)(*args, **kwargs)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"``torch.{name}(input, ...)`` is ``input.{name}(...)``."
    return fn


for _name in METHOD_FORMS:
    globals()[_name] = _method_form(_name)


def _inplace_of(module, op):
    def fn(input, *args, **kwargs):
        import importlib

        from .inplace import inplace

        f = getattr(importlib.import_module(f"lanterna.ops.{module}"), op)
        return inplace(input, f, *args, **kwargs)

    fn.__name__ = fn.__qualname__ = op + "_"
    fn.__doc__ = f"``torch.{op}`` written into ``input``."
    return fn


celu_ = _inplace_of("nn_activation", "celu")
selu_ = _inplace_of("nn_activation", "selu")
threshold_ = _inplace_of("nn_activation", "threshold")


def dropout_(input, p=0.5, train=True):
    from .nn_dropout import dropout

    return dropout(input, p, train, inplace=True)


def alpha_dropout_(input, p=0.5, train=False):
    from .nn_dropout import alpha_dropout

    return alpha_dropout(input, p, train, inplace=True)


def feature_dropout_(input, p=0.5, train=True):
    from .nn_dropout import feature_dropout

    return feature_dropout(input, p, train, inplace=True)

