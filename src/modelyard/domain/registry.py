"""RegistryService: registered models, versions, tags, aliases and stages.

Every method takes the acting :class:`Principal`, runs in one store transaction and
writes its event in that same transaction.  The service is composed of one part per
aggregate: :mod:`~modelyard.domain.projects`, :mod:`~modelyard.domain.models`,
:mod:`~modelyard.domain.versions`, :mod:`~modelyard.domain.stages`,
:mod:`~modelyard.domain.requests`, :mod:`~modelyard.domain.aliases` and
:mod:`~modelyard.domain.policies`.
"""

from __future__ import annotations

from modelyard.domain.aliases import AliasOps
from modelyard.domain.models import MODEL_FIELDS, ModelOps
from modelyard.domain.projects import DEFAULT_PROJECT
from modelyard.domain.policies import PolicyOps
from modelyard.domain.requests import RequestOps
from modelyard.domain.versions import RELATIONS, VERSION_FIELDS, VersionOps


class RegistryService(ModelOps, VersionOps, RequestOps, AliasOps, PolicyOps):
    """Models, versions, stages (with transition requests), aliases and project
    policies (and projects, through :class:`ModelOps`)."""


__all__ = ["DEFAULT_PROJECT", "MODEL_FIELDS", "RELATIONS", "VERSION_FIELDS", "RegistryService"]
