"""What the windows and the commands ask for, in plain Python (no Qt): the reminders, the
dashboard's and today's numbers, export and import, wiping, "Is it counted now?", demo
history."""
