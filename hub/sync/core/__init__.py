"""The engine's core: who this node is, which models sync, and the journal they write to.

Nothing here imports another part of the engine (only :mod:`hub.sync.models`), so every other
layer can build on it.
"""
