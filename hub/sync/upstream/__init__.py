"""The upstream's side: the signed ``/sync/v2/`` and ``/sync/v1/`` endpoints (:mod:`.views`), the
services they call (:mod:`.services`), the enrollment of villages (:mod:`.enrollment`) and
re-seeding after a restore (:mod:`.reseed`)."""
