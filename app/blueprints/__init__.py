"""Blueprints by audience. They parse requests, call one service, commit once."""
