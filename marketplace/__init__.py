"""marketplace: built in its own issue; an empty package until then."""
