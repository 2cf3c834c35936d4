"""Settings modules: ``main`` (what a hub runs: picks the role from ``HUB_ROLE``), ``base``,
``village``, ``upstream`` and ``test``."""
