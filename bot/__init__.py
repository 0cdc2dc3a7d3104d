"""DIT bot: answers questions about Dynamic Interpersonal Therapy from a curated FAQ."""

__version__ = "0.1.0"
