"""HTTP API of the service, one module per resource: ``route`` (decisions), ``gemini`` (the
Gemini-native proxy), ``openai_compat`` (the OpenAI-compatible route) and ``health`` (health,
readiness, metrics); ``deps`` holds the dependencies they share."""
