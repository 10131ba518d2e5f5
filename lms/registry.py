"""What the floor needs from the apps above it, handed over by them in their AppConfig.ready().

`lms` imports no app (`.importlinter`, checked by bin/test). Where a rule of the floor needs an app's
model or service — the enrolments and teachings that make roles, a trainee's teams, the rows that name
a community, the certificates waiting for a worker — the app that owns it provides it here by name,
and the floor asks for it when it runs (never at import time):

    # courses/apps.py
    def ready(self):
        from lms import registry
        registry.provide(Enrolment=Enrolment, Teaching=Teaching, ...)

    # lms/predicates.py
    Enrolment, Teaching = provided("Enrolment", "Teaching")

Hooks are lists several apps add to (`extend`/`hooks`): what holds a community, what a cohort copy carries.
"""

from django.core.exceptions import ImproperlyConfigured

_provided: dict[str, object] = {}
_hooks: dict[str, list] = {}


def provide(**things) -> None:
    """Hand over named things; a name given twice must name the same thing (ready() may run twice in tests)."""
    for name, thing in things.items():
        if _provided.setdefault(name, thing) is not thing:
            raise ImproperlyConfigured(f"lms.registry: {name!r} is provided twice")


def provided(*names):
    """The things of these names (one, or a tuple for several); an unknown name is a wiring error."""
    try:
        found = tuple(_provided[name] for name in names)
    except KeyError as missing:
        raise ImproperlyConfigured(f"lms.registry: no app provides {missing.args[0]!r}") from None
    return found[0] if len(found) == 1 else found


def extend(hook: str, function) -> None:
    """Add a function to a hook (once, whatever the number of calls)."""
    functions = _hooks.setdefault(hook, [])
    if function not in functions:
        functions.append(function)


def hooks(hook: str) -> list:
    return list(_hooks.get(hook, []))
