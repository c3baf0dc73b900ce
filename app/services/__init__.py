"""Use cases: explicit arguments in, domain errors out; no request objects, no commits."""
