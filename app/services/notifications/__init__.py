"""Who hears about what: the outbox, its channels and delivery, the diagram's reminders, the daily digest."""
