"""The village's client: a sync run (:mod:`.run`) over a transport to the pinned upstream
(:mod:`.transport`), within the link's budget (:mod:`.budget`), when the schedule says so
(:mod:`.scheduling`); pinning the upstream (:mod:`.pinning`)."""
