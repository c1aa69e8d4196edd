"""Imports every domain's tables so that Base.metadata is complete (migrations, tests)."""

from tocsin.alerts import models as alerts_models
from tocsin.auth import models as auth_models
from tocsin.coverage import models as coverage_models
from tocsin.db import Base
from tocsin.engine import models as engine_models
from tocsin.escalation import models as escalation_models
from tocsin.heartbeats import models as heartbeats_models
from tocsin.notifications import models as notifications_models
from tocsin.schedules import models as schedules_models

__all__ = ["Base", "alerts_models", "auth_models", "coverage_models", "engine_models", "escalation_models",
           "heartbeats_models", "notifications_models", "schedules_models"]
