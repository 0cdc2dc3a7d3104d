"""The settings the core itself reads: the clinic's details and the matcher's thresholds.

Loaded with the rest of the configuration by `bot.config`; they live here so that the core
depends on nothing outside it.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Clinic(Section):
    """Who runs the bot, filled in wherever the knowledge says {clinic_name}, {clinic_contact}
    or {clinic_referral}. A detail left out reads as the knowledge's message of that name
    (knowledge/messages.yaml), so staff word the defaults too."""

    name: str | None = None
    contact: str | None = None
    referral: str | None = None

    def filled(self, messages: Mapping[str, str]) -> Clinic:
        """This clinic, with each detail left out taken from the knowledge's messages."""
        if None not in (self.name, self.contact, self.referral):
            # Already whole (every reply of a turn fills it again): no new model to validate.
            return self
        return Clinic(
            name=self.name if self.name is not None else messages.get("clinic_name", ""),
            contact=self.contact
            if self.contact is not None
            else messages.get("clinic_contact", ""),
            referral=(
                self.referral if self.referral is not None else messages.get("clinic_referral", "")
            ),
        )


class Matching(Section):
    """Thresholds that decide between answering, asking back and admitting not knowing.

    The defaults come from `dit-bot sweep` over the evaluation cases in tests/cases/.
    """

    answer_threshold: float = Field(default=0.45, ge=0, le=1)
    margin: float = Field(default=0.02, ge=0, le=1)
    clarify_threshold: float = Field(default=0.45, ge=0, le=1)
    clarify_window: float = Field(default=0.15, ge=0, le=1)
    max_options: int = Field(default=3, ge=2, le=5)
