"""The composition root: the one place that turns a config into a running engine."""

from __future__ import annotations

from bot.config import Config
from bot.engine import Engine
from bot.knowledge_files import load_knowledge


def build_engine(config: Config) -> Engine:
    """Load the knowledge base named by the config and build the engine over it."""
    knowledge = load_knowledge(config.knowledge_dir)
    return Engine.from_knowledge(
        knowledge, config.clinic, config.matching, config.unanswered_retention_days
    )
