"""Benchmarks against the project's targets, on this machine, with real processes
(``scripts/bench pages|market|sync``, which installs what they need, then ``python -m bench``).

- :mod:`bench.pages`: villager pages, throughput, uncached render, memory, the admin soak
- :mod:`bench.market`: the BUMDes shop with 2,000 products
- :mod:`bench.sync`: the sync engine over a simulated satellite link (a package; its
  Django-side steps in :mod:`bench.sync.steps`, run in the nodes' agents)
- :mod:`bench.steps`: the Django-side steps, run in a hub's own environment
- :mod:`bench.common`, :mod:`bench.hub`, :mod:`bench.soak`: what they share

Hubs, nodes, the link simulator and Chromium come from the test harness (``tests/harness``).
What each figure means: docs/benchmarks.md.
"""
