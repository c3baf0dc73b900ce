"""Complaints and their processes: lodging, the list and search, tasks, the engine door, deployments, the projection, timers, scope."""
