"""Module prerequisites form a graph that must stay acyclic: modules requiring each other would lock
both for every trainee, so a cycle is refused when it would be created."""

from collections.abc import Iterable, Mapping


def find_cycle(requires: Mapping[int, Iterable[int]]) -> list[int] | None:
    """A cycle in the graph "module → modules it requires" as [a, b, ..., a], or None.

    Iterative depth-first search (three colours), so a long chain cannot exhaust the stack.
    """
    white, grey, black = 0, 1, 2
    colour = dict.fromkeys(requires, white)
    for start in requires:
        if colour.get(start, white) != white:
            continue
        path = [start]
        stack = [iter(requires.get(start, ()))]
        colour[start] = grey
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                colour[path.pop()] = black
                stack.pop()
                continue
            state = colour.get(nxt, white)
            if state == grey:
                return [*path[path.index(nxt) :], nxt]
            if state == white:
                colour[nxt] = grey
                path.append(nxt)
                stack.append(iter(requires.get(nxt, ())))
    return None
