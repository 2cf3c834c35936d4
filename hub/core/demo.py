"""Demo data, one registry for every app: ``manage.py load_demo`` loads them all, in order.

A domain app registers its demo from ``AppConfig.ready()``::

    register_demo("pasar", "marketplace.demo.load_demo", order=20)

The loader takes no arguments, is re-runnable (it adds what is missing, never a duplicate) and
returns the lines to print (a new password is printed once, when it is made). Loaders are named
by dotted path so that the demo code (and Pillow drawing the demo photos) is imported only
when a demo is loaded, never by a serving process.
"""

from dataclasses import dataclass

from django.utils.module_loading import import_string


@dataclass(frozen=True)
class Demo:
    key: str
    loader: str  # dotted path of a function () -> list[str]
    order: int = 100


_registry: dict[str, Demo] = {}


def register_demo(key: str, loader: str, *, order: int = 100) -> None:
    _registry[key] = Demo(key=key, loader=loader, order=order)


def demos() -> list[Demo]:
    return sorted(_registry.values(), key=lambda demo: (demo.order, demo.key))


def demo_load(key: str) -> list[str]:
    """Load one demo by key; its lines to print."""
    try:
        demo = _registry[key]
    except KeyError:
        known = ", ".join(d.key for d in demos())
        raise LookupError(f"no demo named {key!r} (known: {known})") from None
    return list(import_string(demo.loader)())
