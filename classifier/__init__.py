"""Prompt complexity classifier: maps a prompt to light, intermediate or advanced."""
