"""What travels between nodes: records as NDJSON (:mod:`.codec`), compressed pages
(:mod:`.compression`), node keys (:mod:`.keys`) and signed requests and answers
(:mod:`.signing`)."""
