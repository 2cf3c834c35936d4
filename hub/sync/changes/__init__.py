"""Changes between nodes: reading the journal into pages and batches (:mod:`.feed`) and applying
those of another node (:mod:`.apply`), the one code path of push, pull and bundles."""
