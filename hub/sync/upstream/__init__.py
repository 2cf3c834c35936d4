"""The upstream's side: the signed ``/sync/v1/`` endpoints (:mod:`.views`), the services they
call (:mod:`.services`) and the enrollment of villages (:mod:`.enrollment`)."""
