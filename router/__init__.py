"""budget-router: pick, per request, how much reasoning a Gemini call deserves."""

__version__ = "0.1.0"

__all__ = ["__version__"]
