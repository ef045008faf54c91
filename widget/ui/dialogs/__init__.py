"""The dialogs: welcome (apps and goals), the app picker and "Is it counted now?", goals,
settings, the check-in and its answers; `form` holds what they share."""
