"""The audience of an account: contacts, lists, topics, properties, segments and double opt-in.

``account.audience`` (an :class:`Audience`) holds the records and the list/topic/property/segment
operations; :mod:`.contacts` the contact operations; :mod:`.segments` the condition rules;
:mod:`.optin` double opt-in.
"""

from .models import AudienceList, Condition, Contact, ContactProperty, Segment, Topic
from .store import Audience

__all__ = ["Audience", "AudienceList", "Condition", "Contact", "ContactProperty", "Segment", "Topic"]
